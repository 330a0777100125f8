/**
 * Where a process's CPU went, from the `.cpuprofile` files Node writes with `--cpu-prof` (the bench's `--cpu-prof`):
 * self time by area (fishcloud's own code, Effect, the SQL driver, Node's internals, garbage collection)
 * and the busiest functions. Usable alone: `node test/bench/cpu-profile.ts FILE.cpuprofile...`.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Schema } from "effect"

const CallFrame = Schema.Struct({ functionName: Schema.String, url: Schema.String, lineNumber: Schema.Number })
const CpuProfile = Schema.Struct({
  nodes: Schema.Array(Schema.Struct({ id: Schema.Number, callFrame: CallFrame, children: Schema.optional(Schema.Array(Schema.Number)) })),
  samples: Schema.Array(Schema.Number),
  timeDeltas: Schema.Array(Schema.Number)
})
const decodeProfile = Schema.decodeUnknownEffect(Schema.fromJsonString(CpuProfile))

const areas: ReadonlyArray<readonly [string, (url: string, name: string) => boolean]> = [
  ["garbage collection", (_, name) => name === "(garbage collector)"],
  ["idle", (_, name) => name === "(idle)" || name === "(program)"],
  ["effect", (url) => url.includes("/node_modules/effect/")],
  ["@effect/* (sql-pg, platform)", (url) => url.includes("/node_modules/@effect/")],
  ["postgres driver (pg)", (url) => /\/node_modules\/(pg|pg-[a-z-]+|postgres-[a-z-]+)\//.test(url)],
  ["other dependencies", (url) => url.includes("/node_modules/")],
  ["fishcloud", (url) => /\/(src|layers|services|migrations)\//.test(url)],
  ["node internals", (url) => url.startsWith("node:") || url === ""]
]

export interface ProfileSummary {
  readonly totalMs: number
  readonly byArea: ReadonlyArray<readonly [string, number]>
  readonly topFunctions: ReadonlyArray<readonly [string, number]>
  /**
   * Busy time by the fishcloud folder of the nearest fishcloud frame on the sample's stack (what the runtime, the
   * driver or Node did on behalf of that code counts there too); "(no fishcloud frame)" for the engine's and the
   * runtime's own loops, where a fiber's continuation runs without its caller on the stack.
   */
  readonly byOwnFolder: ReadonlyArray<readonly [string, number]>
}

/** A fishcloud source file's folder (`layers/pods/fake`, `src/lifecycle/activities`), or undefined for other code. */
const ownFolder = (url: string) => {
  const match = /\/((?:src|layers|services)(?:\/[^/]+)*)\/[^/]+\.ts$/.exec(url)
  return match === null || url.includes("/node_modules/") ? undefined : match[1]
}

const summarizeProfiles = (files: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const byArea = new Map<string, number>()
    const byFunction = new Map<string, number>()
    const byOwnFolder = new Map<string, number>()
    let totalMs = 0
    for (const file of files) {
      const profile = yield* Effect.promise(() => Fs.readFile(file, "utf8")).pipe(Effect.flatMap(decodeProfile), Effect.orDie)
      const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
      const parents = new Map(profile.nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node.id] as const)))
      // The folder of the nearest fishcloud frame from each node up, memoised: stacks share their roots.
      const owners = new Map<number, string>()
      const ownerOf = (id: number): string => {
        const known = owners.get(id)
        if (known !== undefined) return known
        const parent = parents.get(id)
        const owner = ownFolder(frames.get(id)?.url ?? "") ?? (parent === undefined ? "(no fishcloud frame)" : ownerOf(parent))
        owners.set(id, owner)
        return owner
      }
      profile.samples.forEach((id, i) => {
        const frame = frames.get(id)
        const ms = (profile.timeDeltas[i] ?? 0) / 1000
        if (frame === undefined) return
        const area = areas.find(([, matches]) => matches(frame.url, frame.functionName))?.[0] ?? "other"
        if (area === "idle") return
        totalMs += ms
        byArea.set(area, (byArea.get(area) ?? 0) + ms)
        const owner = ownerOf(id)
        byOwnFolder.set(owner, (byOwnFolder.get(owner) ?? 0) + ms)
        const where = frame.url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*?\/(src|layers|services)\//, "$1/")
        const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`
        byFunction.set(key, (byFunction.get(key) ?? 0) + ms)
      })
    }
    const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1])
    return { totalMs, byArea: sorted(byArea), topFunctions: sorted(byFunction).slice(0, 25), byOwnFolder: sorted(byOwnFolder).slice(0, 12) } satisfies ProfileSummary
  })

/**
 * Stops a service started with `--cpu-prof` into `profileDir` (SIGTERM, so Node writes its profiles) and summarizes
 * them; nothing without a `profileDir`.
 */
export const stopAndSummarize = (
  service: { readonly signal: (signal: NodeJS.Signals) => Effect.Effect<void>; readonly exited: Effect.Effect<unknown> },
  profileDir: string | undefined
) =>
  Effect.gen(function*() {
    if (profileDir === undefined) return undefined
    yield* service.signal("SIGTERM")
    yield* service.exited
    const files = yield* Effect.promise(() => Fs.readdir(profileDir))
    return yield* summarizeProfiles(files.filter((file) => file.endsWith(".cpuprofile")).map((file) => NodePath.join(profileDir, file)))
  })

export const renderProfile = (summary: ProfileSummary) => {
  const share = (ms: number) => `${((100 * ms) / Math.max(1, summary.totalMs)).toFixed(1)} %`
  return [
    `CPU profile: ${Math.round(summary.totalMs)} ms busy (idle excluded)`,
    "| area | self time | share |",
    "|---|---|---|",
    ...summary.byArea.map(([area, ms]) => `| ${area} | ${Math.round(ms)} ms | ${share(ms)} |`),
    "",
    "| on behalf of (the nearest fishcloud frame's folder) | time | share |",
    "|---|---|---|",
    ...summary.byOwnFolder.map(([folder, ms]) => `| ${folder} | ${Math.round(ms)} ms | ${share(ms)} |`),
    "",
    "| busiest functions (self time) | ms | share |",
    "|---|---|---|",
    ...summary.topFunctions.map(([name, ms]) => `| \`${name}\` | ${Math.round(ms)} | ${share(ms)} |`)
  ].join("\n")
}

if (import.meta.main) {
  Effect.runPromise(Effect.map(summarizeProfiles(process.argv.slice(2)), (summary) => console.log(renderProfile(summary))))
}
