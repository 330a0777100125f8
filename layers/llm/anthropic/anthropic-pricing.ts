/**
 * Estimated prices of Anthropic models, in US dollars per million tokens, for the cost shown on a job. These are
 * ESTIMATES copied from Anthropic's public price list (2026-11); invoices are authoritative. Discounts (batch,
 * prompt caching) are ignored. A model missing from the table is priced like the default model.
 */
interface TokenPrice {
  readonly inputPerMillion: number
  readonly outputPerMillion: number
}

const anthropicPricesUsd: Readonly<Record<string, TokenPrice>> = {
  "claude-fable-5-1": { inputPerMillion: 10, outputPerMillion: 50 },
  "claude-opus-5": { inputPerMillion: 5, outputPerMillion: 25 },
  "claude-sonnet-5": { inputPerMillion: 2, outputPerMillion: 10 },
  "claude-opus-4-6": { inputPerMillion: 5, outputPerMillion: 25 },
  "claude-sonnet-4-6": { inputPerMillion: 3, outputPerMillion: 15 },
  "claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5 }
}

const fallbackPrice: TokenPrice = anthropicPricesUsd["claude-opus-5"]!

/** The price of a model name, also for dated snapshots such as `claude-haiku-4-5-20251001`. */
const priceOf = (model: string): TokenPrice =>
  anthropicPricesUsd[model] ??
    anthropicPricesUsd[model.replace(/-\d{8}$/, "")] ??
    fallbackPrice

/** Estimated cost of the tokens, rounded to a millionth of a dollar. */
export const estimatedCostUsd = (model: string, inputTokens: number, outputTokens: number): number => {
  const price = priceOf(model)
  const cost = (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000
  return Math.round(cost * 1_000_000) / 1_000_000
}
