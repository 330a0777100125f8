/** How an LLM call failed, for every LLM service (`Enricher`, `MarketDeriver`, `ReportWriter`). */
import { Schema } from "effect"

export class LlmError extends Schema.TaggedError<LlmError>()("LlmError", {
  /** transient: worth retrying later (429, 5xx, timeouts); permanent: it will fail again. */
  kind: Schema.Literals(["transient", "permanent"]),
  message: Schema.String
}) {}
