/**
 * The first-start token a service writes to `$FISHCLOUD_HOME/token` (after it starts listening, so a caller waits
 * for the file). Plain Effect, no test runner: the chaos run and the bench use it too.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Schedule } from "effect"

export const firstStartToken = (home: string) =>
  Effect.tryPromise(() => Fs.readFile(NodePath.join(home, "token"), "utf8")).pipe(
    Effect.map((text) => text.trim()),
    Effect.filterOrFail((token) => token.length > 0, () => new Error("the token file is still empty")),
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 600 }),
    Effect.orDie
  )
