/** `--json` on the read commands: print what the API answered, as JSON, instead of the text rendering. */
import { Flag } from "effect/cli"

export const JsonFlag = Flag.Boolean("json").pipe(
  Flag.withDescription("Print the API's JSON answer instead of text"),
  Flag.withDefault(false)
)
