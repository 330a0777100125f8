/**
 * The configuration checks that cost nothing: contradictions between settings that would only show once money is
 * spent (a RunPod pod that cannot upload to a loopback PUBLIC_URL fails at finalize, after its GPU hours). `serve`
 * refuses to start on an error among them and `fishcloud doctor` prints them, with the same words and fix.
 */
import * as Net from "node:net"
import { Option } from "effect"
import { type ServiceConfig, serviceUrl } from "./config.ts"

export type Severity = "ok" | "warning" | "error"

/** One finding: what was checked, what was found, and (for warnings and errors) what to do about it. */
export interface Finding {
  readonly severity: Severity
  readonly check: string
  readonly message: string
  readonly fix?: string
}

/** Where an address can be reached from: this machine only, a private network, anywhere, or not known (a name). */
export type AddressScope = "loopback" | "private" | "public" | "name"

const ipv4Scope = (address: string): AddressScope => {
  const [a = 0, b = 0] = address.split(".").map(Number)
  if (a === 127 || a === 0) return "loopback"
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private"
  // link-local and the carrier-grade NAT range reach no further than a private network
  if ((a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)) return "private"
  return "public"
}

const ipv6Scope = (address: string): AddressScope => {
  const lower = address.toLowerCase()
  if (lower === "::1" || lower === "::") return "loopback"
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped?.[1] !== undefined) return ipv4Scope(mapped[1])
  if (/^f[cd][0-9a-f]{2}:/.test(lower) || /^fe[89ab][0-9a-f]:/.test(lower)) return "private"
  return "public"
}

/** The scope of a host name or IP literal (brackets allowed); names other than `localhost` are `name`. */
export const addressScope = (host: string): AddressScope => {
  const bare = host.replace(/^\[(.*)\]$/, "$1")
  const family = Net.isIP(bare)
  if (family === 4) return ipv4Scope(bare)
  if (family === 6) return ipv6Scope(bare)
  const name = bare.toLowerCase().replace(/\.$/, "")
  return name === "localhost" || name.endsWith(".localhost") ? "loopback" : "name"
}

/** The host of an http(s) URL setting (already checked by its Config), or the whole text if it does not parse. */
export const urlHost = (url: string): string => (URL.canParse(url) ? new URL(url).hostname : url)

/** Where pods and browsers reach the service: PUBLIC_URL, else the address it listens on. */
export const publicBaseUrl = (settings: Pick<ServiceConfig, "publicUrl" | "host" | "port">): string =>
  Option.getOrElse(settings.publicUrl, () => serviceUrl(settings.host, settings.port))

/** What the free checks read: the service settings and, with OBJECT_STORE=s3, S3_ENDPOINT when set. */
export interface ConfigFacts {
  readonly settings: ServiceConfig
  readonly s3Endpoint: Option.Option<string>
}

const remoteProviders: ReadonlySet<ServiceConfig["podProvider"]> = new Set(["runpod"])

const scopeWords = (scope: AddressScope) => (scope === "loopback" ? "a loopback address" : "a private-network address")

/**
 * Whether the pods of the chosen provider can reach what they upload to: the disk store's presigned URLs start with
 * PUBLIC_URL, the S3 store's with S3_ENDPOINT. Local and rehearsal pods run on this machine: anything goes.
 */
export const podReachFindings = ({ settings, s3Endpoint }: ConfigFacts): ReadonlyArray<Finding> => {
  const check = "pods reach the service"
  if (!remoteProviders.has(settings.podProvider)) {
    return [{ severity: "ok", check, message: `POD_PROVIDER=${settings.podProvider}: pods run on this machine` }]
  }
  if (settings.objectStore === "disk") {
    const base = publicBaseUrl(settings)
    const scope = addressScope(urlHost(base))
    if (scope === "loopback" || scope === "private") {
      const which = Option.isSome(settings.publicUrl) ? `PUBLIC_URL ${base}` : `PUBLIC_URL is unset, so pods would use ${base}, which`
      return [{
        severity: "error",
        check,
        message: `POD_PROVIDER=${settings.podProvider} rents pods on another network, but ${which} is ${scopeWords(scope)}: ` +
          "pods could not upload their artifacts (OBJECT_STORE=disk) and jobs would fail at finalize, after the GPU was paid for",
        fix: "set PUBLIC_URL to an address the pods reach from the internet (e.g. https://fish.example), or use OBJECT_STORE=s3 " +
          "with an S3_ENDPOINT they reach"
      }]
    }
    return [{ severity: "ok", check, message: `pods upload to ${base}${scope === "name" ? " (a host name: doctor resolves it)" : ""}` }]
  }
  if (Option.isNone(s3Endpoint)) return [{ severity: "ok", check, message: "pods upload to AWS S3" }]
  const scope = addressScope(urlHost(s3Endpoint.value))
  if (scope === "loopback" || scope === "private") {
    return [{
      severity: "error",
      check,
      message: `POD_PROVIDER=${settings.podProvider} rents pods on another network, but S3_ENDPOINT ${s3Endpoint.value} is ` +
        `${scopeWords(scope)}: presigned URLs point at it, so pods could not upload their artifacts`,
      fix: "set S3_ENDPOINT to an address the pods reach from the internet (presigned URLs are signed for it)"
    }]
  }
  return [{ severity: "ok", check, message: `pods upload to ${s3Endpoint.value}` }]
}

/** Rehearsal settings that change what a real provider does. */
export const rehearsalFindings = (settings: ServiceConfig): ReadonlyArray<Finding> => {
  const check = "rehearsal settings"
  const found: Array<Finding> = []
  if (settings.podProvider !== "fake" && (settings.fakePodFaults.trim() !== "" || Option.isSome(settings.fakePodFaultSeed))) {
    found.push({
      severity: "warning",
      check,
      message: `FAKE_POD_FAULTS / FAKE_POD_FAULT_SEED are set but POD_PROVIDER=${settings.podProvider}: they are ignored`,
      fix: "unset them, or use POD_PROVIDER=fake to rehearse"
    })
  }
  if (settings.fakeStoreFaultRate > 0) {
    found.push({
      severity: "warning",
      check,
      message: `FAKE_STORE_FAULT_RATE=${settings.fakeStoreFaultRate}: the object store fails that share of its calls on purpose`,
      fix: "unset FAKE_STORE_FAULT_RATE outside rehearsals"
    })
  }
  if (remoteProviders.has(settings.podProvider) && settings.timeScale !== 1) {
    found.push({
      severity: "error",
      check,
      message: `FISHCLOUD_TIME_SCALE=${settings.timeScale} with POD_PROVIDER=${settings.podProvider}: every lifecycle deadline ` +
        "is scaled, so rented pods would be judged unhealthy or stuck too early (or too late)",
      fix: "unset FISHCLOUD_TIME_SCALE (it is for rehearsals with POD_PROVIDER=fake)"
    })
  }
  return found
}

/** Every free check, in order. */
export const configFindings = (facts: ConfigFacts): ReadonlyArray<Finding> => [
  ...podReachFindings(facts),
  ...rehearsalFindings(facts.settings)
]

/** A finding as one line (two with its fix), as `serve` refuses and `doctor` prints it. */
export const describeFinding = (finding: Finding): string =>
  `${finding.check}: ${finding.message}${finding.fix === undefined ? "" : `; fix: ${finding.fix}`}`
