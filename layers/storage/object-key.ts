/**
 * What an object key may look like: relative, `/`-separated segments of [A-Za-z0-9._-], never `.` or `..`, at most
 * 1024 characters. Keys become file paths of the disk store, so this is what keeps every object inside its folder.
 */
import { Effect, Schema } from "effect"
import { InvalidObjectKey, ObjectStoreError } from "../../services/object-store.ts"

export const maxKeyLength = 1024

const allowedCharacters = /^[A-Za-z0-9._/-]*$/

const badSegment = (segment: string) => segment === "" || segment === "." || segment === ".."

const Characters = Schema.String.check(
  Schema.isMaxLength(maxKeyLength, { message: `must be at most ${maxKeyLength} characters` }),
  Schema.isPattern(allowedCharacters, { message: "may only contain the characters A-Z a-z 0-9 . _ / -" })
)

/** A key of one object, e.g. `sim-data/12/posts.json`. */
export const ObjectKey = Characters.check(
  Schema.makeFilter((key: string) =>
    key.split("/").some(badSegment) ? "must be relative, without empty, \".\" or \"..\" segments" : undefined
  )
)

/** A listing prefix: a key's beginning (may be empty or end with `/`); its complete segments follow the key rules. */
const ObjectKeyPrefix = Characters.check(
  Schema.makeFilter((prefix: string) =>
    prefix.split("/").slice(0, -1).some(badSegment) ? "must be relative, without empty, \".\" or \"..\" segments" : undefined
  )
)

const decodeKey = Schema.decodeUnknownEffect(ObjectKey)
const decodePrefix = Schema.decodeUnknownEffect(ObjectKeyPrefix)

/** `key` if it is a valid object key. */
export const validKey = (key: string) =>
  decodeKey(key).pipe(Effect.mapError((error) => new InvalidObjectKey({ key, message: `invalid object key: ${error.message}` })))

/** `prefix` if it is a valid listing prefix. */
export const validPrefix = (prefix: string) =>
  decodePrefix(prefix).pipe(
    Effect.mapError((error) => new InvalidObjectKey({ key: prefix, message: `invalid object key prefix: ${error.message}` }))
  )

/** The service-level error for a refused key. */
export const refusedKey = (operation: string) => (error: InvalidObjectKey) =>
  new ObjectStoreError({ operation, key: error.key, message: error.message })

/** `prefix` if it is a folder of keys: a valid listing prefix that ends with `/` (or, with `root`, is empty). */
export const validFolder = (prefix: string, options: { readonly root: boolean }) =>
  validPrefix(prefix).pipe(Effect.flatMap((valid) =>
    (options.root && valid === "") || valid.endsWith("/")
      ? Effect.succeed(valid)
      : Effect.fail(new InvalidObjectKey({
        key: prefix,
        message: `invalid object key prefix: a folder must end with "/"${options.root ? " (or be empty)" : " and may not be empty"}`
      }))
  ))
