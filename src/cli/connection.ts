/**
 * Where the CLI's API is and who it is: `--url` / `--token` (global flags), else `CliConfig` from `src/config.ts`
 * (FISHCLOUD_URL, FISHCLOUD_TOKEN, else the file `$FISHCLOUD_HOME/token` that `fishcloud serve` writes on first start).
 */
import { Context, type Duration, Effect, FileSystem, Layer, Option, Path, Redacted } from "effect"
import { Flag, GlobalFlag } from "effect/cli"
import { CliConfig, cliBaseUrl } from "../config.ts"
import { CliFailure, oneLine, unreadableFile } from "./cli-errors.ts"

export const UrlFlag = GlobalFlag.Setting("url")({
  flag: Flag.String("url").pipe(
    Flag.withDescription("fishcloud API base URL (default: $FISHCLOUD_URL, else http://$HOST:$PORT)"),
    Flag.withMetavar("URL"),
    Flag.optional
  )
})

export const TokenFlag = GlobalFlag.Setting("token")({
  flag: Flag.Redacted("token").pipe(
    Flag.withDescription("API token (default: $FISHCLOUD_TOKEN, else the file $FISHCLOUD_HOME/token)"),
    Flag.withMetavar("TOKEN"),
    Flag.optional
  )
})

export class Connection extends Context.Service<Connection, {
  readonly baseUrl: string
  /** Absent when no flag, variable or token file gives one; `requireToken` turns that into the clear message. */
  readonly token: Option.Option<Redacted.Redacted<string>>
  /** Where the token file is looked for, named in the "no token" message. */
  readonly tokenFile: string
  readonly waitInterval: Duration.Duration
}>()("fishcloud/cli/Connection") {}

const nonBlank = (token: Redacted.Redacted<string>): Option.Option<Redacted.Redacted<string>> => {
  const value = Redacted.value(token).trim()
  return value.length === 0 ? Option.none() : Option.some(Redacted.make(value))
}

const readTokenFile = Effect.fn("readTokenFile")(function*(file: string) {
  const fs = yield* FileSystem.FileSystem
  const exists = yield* fs.exists(file).pipe(Effect.mapError(unreadableFile("token file", file)))
  if (!exists) return Option.none<Redacted.Redacted<string>>()
  const text = yield* fs.readFileString(file).pipe(Effect.mapError(unreadableFile("token file", file)))
  return nonBlank(Redacted.make(text))
})

export const ConnectionLive = Layer.effect(
  Connection,
  Effect.gen(function*() {
    const config = yield* CliConfig.pipe(
      Effect.mapError((error) => new CliFailure({ message: `bad setting: ${oneLine(error.message)}` }))
    )
    const urlFlag = yield* UrlFlag
    const tokenFlag = yield* TokenFlag
    const path = yield* Path.Path
    const tokenFile = path.join(config.home, "token")
    const baseUrl = Option.getOrElse(urlFlag, () => cliBaseUrl(config)).replace(/\/+$/, "")
    const fromFlagOrEnv = Option.orElse(Option.flatMap(tokenFlag, nonBlank), () => Option.flatMap(config.token, nonBlank))
    const token = Option.isSome(fromFlagOrEnv) ? fromFlagOrEnv : yield* readTokenFile(tokenFile)
    return Connection.of({ baseUrl, token, tokenFile, waitInterval: config.waitInterval })
  })
)

/** The token, or the one-line explanation of where a token comes from. */
export const requireToken = Effect.gen(function*() {
  const { token, tokenFile } = yield* Connection
  return yield* Option.match(token, {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.fail(
        new CliFailure({ message: `no token: set FISHCLOUD_TOKEN (fishcloud tokens create --user NAME prints one), or start a service with no tokens yet (fishcloud serve) to create ${tokenFile}` })
      )
  })
})
