/**
 * Settings for a test as the service reads them: `env` as the whole environment (nothing from the machine running
 * the test), through the same parsing and checks as production.
 */
import { ConfigProvider } from "effect"

export const configFromEnv = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))
