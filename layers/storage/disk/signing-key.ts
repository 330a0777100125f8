/**
 * The secret that signs the disk store's URLs: STORAGE_SIGNING_KEY when set, else a random key created once in
 * `$FISHCLOUD_HOME/storage-signing-key` (mode 0600), so URLs handed out before a restart still work after it.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Option, Predicate, Redacted, Schema } from "effect"
import { ObjectStoreError } from "../../../services/object-store.ts"

const signingKeyFileName = "storage-signing-key"

const StoredKey = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))
const isStoredKey = Schema.is(StoredKey)

const keyError = (file: string, message: string) =>
  new ObjectStoreError({ operation: "load signing key", key: file, message })

const fsFailure = (file: string, what: string) => (cause: unknown) =>
  keyError(file, `could not ${what} ${file}: ${cause instanceof Error ? cause.message : String(cause)}`)

const errorCode = (cause: unknown) => Predicate.hasProperty(cause, "code") ? cause.code : undefined

/** The key in `file`, or None when there is no file yet. Never echoes the file's content. */
const readKeyFile = (file: string) =>
  Effect.tryPromise({ try: () => Fs.readFile(file, "utf8"), catch: (cause) => cause }).pipe(
    Effect.map((text) => Option.some(text)),
    Effect.catch((cause) =>
      errorCode(cause) === "ENOENT" ? Effect.succeed(Option.none<string>()) : Effect.fail(fsFailure(file, "read")(cause))
    ),
    Effect.flatMap(Option.match({
      onNone: () => Effect.succeed(Option.none<Redacted.Redacted<string>>()),
      onSome: (text) =>
        isStoredKey(text.trim())
          ? Effect.succeed(Option.some(Redacted.make(text.trim())))
          : Effect.fail(keyError(file, `${file} does not hold a 64-digit hex key; remove it to create a new one`))
    }))
  )

/**
 * Creates the key file without ever exposing a half-written one: the key goes to a private temporary file that is
 * then hard-linked into place, which fails if another process created the file first (its key is used then).
 */
const createKeyFile = (file: string) =>
  Effect.gen(function*() {
    yield* Effect.tryPromise({ try: () => Fs.mkdir(NodePath.dirname(file), { recursive: true }), catch: fsFailure(file, "create the folder of") })
    const temp = `${file}.${Crypto.randomBytes(6).toString("hex")}.tmp`
    yield* Effect.tryPromise({
      try: async () => {
        await Fs.writeFile(temp, Crypto.randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" })
        await Fs.chmod(temp, 0o600)
      },
      catch: fsFailure(file, "write")
    })
    yield* Effect.tryPromise({ try: () => Fs.link(temp, file), catch: (cause) => cause }).pipe(
      Effect.catch((cause) => errorCode(cause) === "EEXIST" ? Effect.void : Effect.fail(fsFailure(file, "create")(cause))),
      Effect.ensuring(Effect.tryPromise({ try: () => Fs.rm(temp, { force: true }), catch: fsFailure(temp, "remove") }).pipe(
        Effect.catch((error) => Effect.logWarning(error.message))
      ))
    )
  })

/** The signing secret for a service whose data folder is `home`. */
export const loadSigningKey = Effect.fn("Storage.loadSigningKey")(function*(
  home: string,
  configured: Option.Option<Redacted.Redacted<string>>
) {
  if (Option.isSome(configured)) return configured.value
  const file = NodePath.join(home, signingKeyFileName)
  const existing = yield* readKeyFile(file)
  if (Option.isSome(existing)) return existing.value
  yield* createKeyFile(file)
  const created = yield* readKeyFile(file)
  if (Option.isSome(created)) return created.value
  return yield* keyError(file, `${file} vanished while it was being created`)
})
