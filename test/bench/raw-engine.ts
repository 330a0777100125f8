/**
 * The floor for `npm run bench`: the same durable engine fishcloud runs on (effect/cluster workflows, SQL storage,
 * the same sharding settings: `layers/lifecycle/workflow-engine.ts`) running executions of a workflow made of
 * `--activities` no-op activities, nothing else. Run as its own process by `test/bench/run.ts`:
 *
 *   node test/bench/raw-engine.ts <database url> <activities> <phases json>
 *
 * Each phase `{ jobs, inFlight }` runs `jobs` executions, `inFlight` at a time; it prints one JSON line per phase
 * (the shape of `PhaseResult` in `lifecycle-bench.ts`): wall seconds, each execution's seconds, this process's CPU
 * seconds and the database's row writes.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, Redacted, Schema } from "effect"
import { Activity, Workflow } from "effect/workflow"
import { PgClientLive } from "../../layers/db/database.ts"
import { WorkflowEngineLive } from "../../layers/lifecycle/workflow-engine.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { rowWrites, transactionsOf, writesBetween } from "./measure.ts"

const [url, activitiesText, phasesText] = process.argv.slice(2)
const Phases = Schema.Array(Schema.Struct({ jobs: Schema.Int, inFlight: Schema.Int }))

const BenchWorkflow = Workflow.make("bench.NoopWorkflow", {
  payload: { n: Schema.Int },
  success: Schema.Int,
  idempotencyKey: ({ n }) => `noop-${n}`
})

const program = (activities: number, phases: typeof Phases.Type) =>
  Effect.gen(function*() {
    let next = 0
    for (const phase of phases) {
      const writesBefore = yield* rowWrites(url ?? "")
      const transactionsBefore = yield* transactionsOf(url ?? "")
      const cpuBefore = process.cpuUsage()
      const started = performance.now()
      const seconds = yield* Effect.forEach(Array.from({ length: phase.jobs }, () => next++), (n) =>
        Effect.gen(function*() {
          const t0 = performance.now()
          yield* BenchWorkflow.execute({ n })
          return (performance.now() - t0) / 1000
        }), { concurrency: phase.inFlight })
      const wallSeconds = (performance.now() - started) / 1000
      const cpu = process.cpuUsage(cpuBefore)
      const writes = writesBetween(writesBefore, yield* rowWrites(url ?? ""))
      const transactions = (yield* transactionsOf(url ?? "")) - transactionsBefore
      process.stdout.write(JSON.stringify({ phase, wallSeconds, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, writes, transactions, failed: [] }) + "\n")
    }
  }).pipe(Effect.provide(BenchWorkflow.toLayer(({ n }) =>
    Effect.gen(function*() {
      for (let i = 0; i < activities; i++) yield* Activity.make({ name: `step-${i}`, execute: Effect.void })
      return n
    }))))

const main = Effect.gen(function*() {
  const phases = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(Phases))(phasesText ?? "")
  const port = yield* freeLoopbackPort
  const engine = WorkflowEngineLive({ role: "all", runnerHost: "127.0.0.1", runnerPort: port }).pipe(
    Layer.provide(PgClientLive(Redacted.make(url ?? "")))
  )
  yield* program(Number(activitiesText), phases).pipe(Effect.provide(engine))
})

NodeRuntime.runMain(main)
