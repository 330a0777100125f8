/** The ALERT_* settings of the alerts layer (`webhook-alerts.ts`): where alerts go and the key that signs them. */
import { Config } from "effect"
import { httpUrl, optionalSecret } from "../../src/config.ts"

export const AlertsConfig = Config.all({
  /**
   * ALERT_WEBHOOK_URL: where each alert is POSTed as JSON; unset = alerts are WARN log lines only. An http(s) URL
   * without query or fragment (the shared check); its path is kept, so a path that carries a token works.
   */
  webhookUrl: httpUrl("ALERT_WEBHOOK_URL", "https://hooks.example/fishcloud").pipe(Config.option),
  /** ALERT_WEBHOOK_SECRET: the HMAC-SHA256 key of the signature headers; unset or blank = requests go unsigned. */
  webhookSecret: optionalSecret("ALERT_WEBHOOK_SECRET")
})
