/**
 * Objects as files in one folder, confined to it: keys are validated (`object-key.ts`), every path is resolved to
 * its real path and must stay inside the folder's real path (so a symlink cannot lead out), folders are created one
 * level at a time without following links, and writes go to a temporary file renamed into place (atomic).
 */
import * as Crypto from "node:crypto"
import { constants as FsConstants } from "node:fs"
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { Effect, Option, Predicate, Schema, Stream } from "effect"
import { type ObjectInfo, ObjectStoreError } from "../../../services/object-store.ts"
import { type StoredObject, UploadTooLarge } from "../../../services/disk-storage.ts"
import { ObjectKey, validFolder, validKey, validPrefix } from "../object-key.ts"

/** The real path of the folder that holds the objects. */
export interface Folder {
  readonly root: string
}



const describe = (cause: unknown) => cause instanceof Error ? cause.message : String(cause)
const errorCode = (cause: unknown) => Predicate.hasProperty(cause, "code") ? cause.code : undefined
const isMissing = (cause: unknown) => errorCode(cause) === "ENOENT" || errorCode(cause) === "ENOTDIR"

const failure = (operation: string, key: string) => (cause: unknown) =>
  new ObjectStoreError({ operation, key, message: `${operation} of ${key} failed: ${describe(cause)}` })

const attempt = <A>(operation: string, key: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: failure(operation, key) })

/** `run`'s result, or None when the path does not exist. */
const ifExists = <A>(operation: string, key: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => cause }).pipe(
    Effect.map(Option.some),
    Effect.catch((cause) => isMissing(cause) ? Effect.succeed(Option.none<A>()) : Effect.fail(failure(operation, key)(cause)))
  )

const isInside = (folder: Folder, path: string) => path.startsWith(folder.root + NodePath.sep)

const outside = (operation: string, key: string) =>
  new ObjectStoreError({ operation, key, message: `${key} leads outside the object store` })

const isObjectKey = Schema.is(ObjectKey)

/** Creates the folder (and its parents) and resolves its real path. */
export const openFolder = (path: string) =>
  Effect.gen(function*() {
    yield* attempt("create the object folder", path, () => Fs.mkdir(path, { recursive: true }))
    return { root: yield* attempt("resolve the object folder", path, () => Fs.realpath(path)) } satisfies Folder
  })

/** The real path of `relative` (a validated key or key folder) if it exists; fails if it resolves outside. */
const resolveExisting = (folder: Folder, operation: string, relative: string) =>
  Effect.gen(function*() {
    const real = yield* ifExists(operation, relative, () => Fs.realpath(NodePath.join(folder.root, relative)))
    if (Option.isSome(real) && !isInside(folder, real.value)) return yield* outside(operation, relative)
    return real
  })

/**
 * The real folder that will hold `key`: when it exists, its real path (one lookup: a write into an existing job
 * folder is the common case); else created level by level. Either way a link on the way must stay inside.
 */
const parentFolder = (folder: Folder, operation: string, key: string) =>
  Effect.gen(function*() {
    const slash = key.lastIndexOf("/")
    if (slash < 0) return folder.root
    const existing = yield* resolveExisting(folder, operation, key.slice(0, slash))
    if (Option.isSome(existing)) {
      const stat = yield* attempt(operation, key, () => Fs.stat(existing.value))
      if (stat.isDirectory()) return existing.value
    }
    return yield* createParentFolder(folder, operation, key)
  })

/** Creates the folders of `key` one level at a time without following links; each must resolve inside. */
const createParentFolder = (folder: Folder, operation: string, key: string) =>
  Effect.gen(function*() {
    let current = folder.root
    for (const segment of key.split("/").slice(0, -1)) {
      const next = NodePath.join(current, segment)
      // mkdir never follows a link in its last component: an existing link is EEXIST and resolved below.
      yield* Effect.tryPromise({ try: () => Fs.mkdir(next), catch: (cause) => cause }).pipe(
        Effect.catch((cause) => errorCode(cause) === "EEXIST" ? Effect.void : Effect.fail(failure(operation, key)(cause)))
      )
      const real = yield* attempt(operation, key, () => Fs.realpath(next))
      if (!isInside(folder, real)) return yield* outside(operation, key)
      const stat = yield* attempt(operation, key, () => Fs.stat(real))
      if (!stat.isDirectory()) {
        return yield* new ObjectStoreError({ operation, key, message: `${key}: ${segment} is an object, not a folder` })
      }
      current = real
    }
    return current
  })

/** Cleanup after the outcome is decided: a failure here is logged, not allowed to replace that outcome. */
const closeQuietly = (handle: Fs.FileHandle, key: string) =>
  attempt("close", key, () => handle.close()).pipe(Effect.catch((error) => Effect.logWarning(error.message)))

const removeQuietly = (path: string) =>
  attempt("remove a temporary file", path, () => Fs.rm(path, { force: true })).pipe(
    Effect.catch((error) => Effect.logWarning(error.message))
  )

/**
 * Streams `body` into the object `key`, refusing more than `maxBytes`. Readers see the old object or the whole new
 * one, never a part: the bytes go to a temporary file (its name holds "~", which no key may) renamed over the key.
 */
export const writeObject = <E>(folder: Folder, key: string, body: Stream.Stream<Uint8Array, E>, maxBytes: number) =>
  Effect.gen(function*() {
    yield* validKey(key)
    const parent = yield* parentFolder(folder, "put", key)
    const name = NodePath.basename(key)
    const target = NodePath.join(parent, name)
    const temp = NodePath.join(parent, `.${name}.~${Crypto.randomBytes(6).toString("hex")}`)
    let size = 0
    const write = Effect.acquireUseRelease(
      attempt("put", key, () => Fs.open(temp, "wx", 0o644)),
      (handle) =>
        body.pipe(
          Stream.runForEach((chunk): Effect.Effect<unknown, UploadTooLarge | ObjectStoreError> => {
            size += chunk.length
            return size > maxBytes
              ? Effect.fail(new UploadTooLarge({ maxBytes }))
              : attempt("put", key, () => handle.write(chunk))
          }),
          Effect.andThen(attempt("put", key, () => handle.sync()))
        ),
      (handle) => closeQuietly(handle, key)
    )
    yield* write.pipe(
      Effect.andThen(attempt("put", key, () => Fs.rename(temp, target))),
      Effect.onError(() => removeQuietly(temp))
    )
    return { key, size } satisfies ObjectInfo
  })

/** Opens `key` for reading (not through a link), if it is an object. */
const openObject = (folder: Folder, operation: string, key: string) =>
  Effect.gen(function*() {
    yield* validKey(key)
    const real = yield* resolveExisting(folder, operation, key)
    if (Option.isNone(real)) return Option.none()
    const handle = yield* ifExists(operation, key, () => Fs.open(real.value, FsConstants.O_RDONLY | FsConstants.O_NOFOLLOW))
    if (Option.isNone(handle)) return Option.none()
    const stat = yield* attempt(operation, key, () => handle.value.stat()).pipe(
      Effect.tapError(() => closeQuietly(handle.value, key))
    )
    if (!stat.isFile()) {
      yield* attempt(operation, key, () => handle.value.close())
      return Option.none()
    }
    return Option.some({ handle: handle.value, size: stat.size })
  })

/** The object's size and a stream of its bytes (the file is closed when the stream ends or is dropped). */
export const readObject = (folder: Folder, key: string) =>
  openObject(folder, "get", key).pipe(Effect.map(Option.map(({ handle, size }): StoredObject => ({
    size,
    stream: NodeStream.fromReadable({ evaluate: () => handle.createReadStream(), onError: failure("get", key) })
  }))))

/** The object's bytes. */
export const readObjectBytes = (folder: Folder, key: string) =>
  openObject(folder, "get", key).pipe(Effect.flatMap(Option.match({
    onNone: () => Effect.succeedNone,
    onSome: ({ handle }) =>
      attempt("get", key, () => handle.readFile()).pipe(
        Effect.map((bytes): Option.Option<Uint8Array> => Option.some(new Uint8Array(bytes))),
        Effect.ensuring(closeQuietly(handle, key))
      )
  })))

export const statObject = (folder: Folder, key: string) =>
  openObject(folder, "head", key).pipe(Effect.flatMap(Option.match({
    onNone: () => Effect.succeedNone,
    onSome: ({ handle, size }) =>
      attempt("head", key, () => handle.close()).pipe(Effect.as(Option.some<ObjectInfo>({ key, size })))
  })))

/** Removes the object `key` (a link is removed, not what it points to); a missing object is fine. */
export const removeObject = (folder: Folder, key: string) =>
  Effect.gen(function*() {
    yield* validKey(key)
    const slash = key.lastIndexOf("/")
    const parent = slash < 0 ? Option.some(folder.root) : yield* resolveExisting(folder, "delete", key.slice(0, slash))
    if (Option.isNone(parent)) return
    const target = NodePath.join(parent.value, key.slice(slash + 1))
    const stat = yield* ifExists("delete", key, () => Fs.lstat(target))
    if (Option.isNone(stat) || stat.value.isDirectory()) return
    yield* ifExists("delete", key, () => Fs.unlink(target))
  })

/** Every object whose key starts with `prefix`, by key. Links and unfinished writes are not objects. */
export const listObjects = (folder: Folder, prefix: string) =>
  Effect.gen(function*() {
    yield* validPrefix(prefix)
    const base = prefix.slice(0, prefix.lastIndexOf("/") + 1)
    const start = base === "" ? Option.some(folder.root) : yield* resolveExisting(folder, "list", base.slice(0, -1))
    const found: Array<ObjectInfo> = []
    const walk = (dir: string, keyBase: string): Effect.Effect<void, ObjectStoreError> =>
      Effect.gen(function*() {
        const entries = yield* ifExists("list", keyBase, () => Fs.readdir(dir, { withFileTypes: true }))
        for (const entry of Option.getOrElse(entries, () => [])) {
          const key = keyBase + entry.name
          if (entry.isDirectory() && (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix))) {
            yield* walk(NodePath.join(dir, entry.name), `${key}/`)
          } else if (entry.isFile() && key.startsWith(prefix) && isObjectKey(key)) {
            const stat = yield* ifExists("list", key, () => Fs.lstat(NodePath.join(dir, entry.name)))
            if (Option.isSome(stat)) found.push({ key, size: stat.value.size })
          }
        }
      })
    if (Option.isSome(start)) yield* walk(start.value, base)
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  })


const sortKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The folders directly under `prefix` (empty or ending with `/`), as `prefix<name>/`; links are not folders. */
export const listFolders = (folder: Folder, prefix: string) =>
  Effect.gen(function*() {
    yield* validFolder(prefix, { root: true })
    const start = prefix === "" ? Option.some(folder.root) : yield* resolveExisting(folder, "listFolders", prefix.slice(0, -1))
    if (Option.isNone(start)) return []
    const entries = yield* ifExists("listFolders", prefix, () => Fs.readdir(start.value, { withFileTypes: true }))
    return Option.getOrElse(entries, () => [])
      .filter((entry) => entry.isDirectory() && isObjectKey(prefix + entry.name))
      .map((entry) => `${prefix}${entry.name}/`)
      .sort(sortKeys)
  })

/** Removes the empty folders at and under `dir`, deepest first; a folder that is not empty (or gone) stays as it is. */
const pruneEmptyFolders = (dir: string, prefix: string): Effect.Effect<void, ObjectStoreError> =>
  Effect.gen(function*() {
    const entries = yield* ifExists("deletePrefix", prefix, () => Fs.readdir(dir, { withFileTypes: true }))
    for (const entry of Option.getOrElse(entries, () => [])) {
      if (entry.isDirectory()) yield* pruneEmptyFolders(NodePath.join(dir, entry.name), prefix)
    }
    yield* Effect.tryPromise({ try: () => Fs.rmdir(dir), catch: (cause) => cause }).pipe(
      Effect.catch((cause) =>
        isMissing(cause) || errorCode(cause) === "ENOTEMPTY" || errorCode(cause) === "EEXIST"
          ? Effect.void
          : Effect.fail(failure("deletePrefix", prefix)(cause)))
    )
  })

/**
 * Removes every object under the folder `prefix` (ending with `/`), then the folders left empty, so a deleted job
 * leaves no trace; answers how many objects it removed. An upload still being written (a temporary file) stays.
 */
export const removeObjectsUnder = (folder: Folder, prefix: string) =>
  Effect.gen(function*() {
    yield* validFolder(prefix, { root: false })
    const objects = yield* listObjects(folder, prefix)
    for (const object of objects) yield* removeObject(folder, object.key)
    const top = yield* resolveExisting(folder, "deletePrefix", prefix.slice(0, -1))
    if (Option.isSome(top)) yield* pruneEmptyFolders(top.value, prefix)
    return objects.length
  })
