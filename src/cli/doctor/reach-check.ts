/**
 * Doctor check 4, whether pods reach what they upload to: the free check `serve` also runs (`src/config-checks.ts`),
 * and for a remote provider with a host name, whether the name resolves to an address pods can reach.
 */
import * as Dns from "node:dns/promises"
import { Effect, Option } from "effect"
import { S3Config } from "../../../layers/storage/s3/s3-config.ts"
import { addressScope, type Finding, podReachFindings, publicBaseUrl, urlHost } from "../../config-checks.ts"
import type { ServiceConfig } from "../../config.ts"
import { bounded, callTimeLimit } from "./doctor-check.ts"

const check = "pods reach the service"

/** Where a remote pod uploads to: the disk store's PUBLIC_URL, or the S3 endpoint. */
const uploadTarget = (settings: ServiceConfig, s3Endpoint: Option.Option<string>): Option.Option<readonly [string, string]> =>
  settings.objectStore === "disk"
    ? Option.some(["PUBLIC_URL", publicBaseUrl(settings)] as const)
    : Option.map(s3Endpoint, (endpoint) => ["S3_ENDPOINT", endpoint] as const)

/** For a host name: ok when one of its addresses is public, an error when it does not resolve or only privately. */
const resolvedFinding = (setting: string, url: string): Effect.Effect<Finding> => {
  const host = urlHost(url)
  return Effect.tryPromise(() => Dns.lookup(host, { all: true })).pipe(
    Effect.map((addresses): Finding => {
      const reachable = addresses.filter((address) => addressScope(address.address) === "public")
      if (reachable.length > 0) return { severity: "ok", check, message: `pods upload to ${url} (${host} is ${reachable[0]?.address})` }
      return {
        severity: "error",
        check,
        message: `${setting} ${url}: ${host} resolves only to loopback or private addresses ` +
          `(${addresses.map((address) => address.address).join(", ")}), which rented pods cannot reach`,
        fix: `set ${setting} to an address the pods reach from the internet`
      }
    }),
    Effect.catch(() =>
      Effect.succeed<Finding>({
        severity: "error",
        check,
        message: `${setting} ${url}: the host name ${host} does not resolve here`,
        fix: `set ${setting} to a name that resolves (publicly) to this service`
      })
    ),
    Effect.timeoutOrElse({
      duration: callTimeLimit,
      orElse: () => Effect.succeed<Finding>({ severity: "warning", check, message: `${setting}: resolving ${host} took too long; not checked` })
    })
  )
}

export const reachCheck = (settings: ServiceConfig): Effect.Effect<ReadonlyArray<Finding>> =>
  Effect.gen(function*() {
    const s3Endpoint = settings.objectStore === "s3"
      ? yield* S3Config.pipe(Effect.map((s3) => s3.endpoint), Effect.orElseSucceed(() => Option.none<string>()))
      : Option.none<string>()
    const free = podReachFindings({ settings, s3Endpoint })
    if (settings.podProvider !== "runpod" || free.some((finding) => finding.severity !== "ok")) return free
    const target = uploadTarget(settings, s3Endpoint)
    if (Option.isNone(target) || addressScope(urlHost(target.value[1])) !== "name") return free
    return [yield* resolvedFinding(...target.value)]
  }).pipe(bounded(check, "check PUBLIC_URL and S3_ENDPOINT"))
