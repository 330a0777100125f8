import * as ChildProcess from "node:child_process"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs/promises"
import { fatalVllmMarker } from "../../src/lifecycle/poll-signals.ts"
import { eventuallyEffect } from "../support/eventually.ts"
import { get, jobRequest, post, tempDir } from "../support/pod-worker.ts"

const root = NodePath.resolve(import.meta.dirname, "../..")

interface Spawned {
  readonly url: string
  readonly child: ChildProcess.ChildProcess
  readonly output: () => string
}

/** Runs `command` until it logs where the worker listens (`node --import tsx src/pod-worker/main.ts` by default). */
const spawnWorker = (
  home: string,
  command: ReadonlyArray<string> = [process.execPath, "--import", "tsx", "src/pod-worker/main.ts"],
  env: Record<string, string> = {}
) =>
  Effect.acquireRelease(
    Effect.callback<Spawned>((resume) => {
      const child = ChildProcess.spawn(command[0]!, command.slice(1), {
        cwd: root,
        env: {
          ...process.env,
          POD_WORKER_HOST: "127.0.0.1",
          POD_WORKER_PORT: "0",
          POD_WORKER_HOME: home,
          POD_WORKER_ROUND_DELAY_MS: "100",
          ...env
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      const onData = (chunk: Buffer) => {
        output += chunk.toString("utf8")
        const found = /pod worker listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
        if (found !== null) resume(Effect.succeed({ url: `http://127.0.0.1:${found[1]}`, child, output: () => output }))
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", onData)
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

const exited = (child: ChildProcess.ChildProcess) =>
  Effect.callback<number | null>((resume) => {
    if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })

describe("pod worker process", () => {
  it.live("starts from its entry point, stops on SIGTERM mid-job, and a restart serves the logs but not the lost job", () =>
    Effect.gen(function*() {
      const home = yield* tempDir("pod-worker-process-")
      const first = yield* spawnWorker(home)
      assert.strictEqual((yield* get(`${first.url}/health`)).status, 200)
      assert.strictEqual((yield* post(`${first.url}/job`, jobRequest({ max_rounds: 200 }))).status, 200)
      yield* eventuallyEffect(
        "the first round is logged",
        Effect.map(get(`${first.url}/logs?source=pipeline&tail=5`), (reply) => (reply.json.lines as Array<string>).some((l) => l.includes("round=")))
      )

      const stoppingAt = Date.now()
      first.child.kill("SIGTERM")
      const code = yield* exited(first.child)
      assert.isBelow(Date.now() - stoppingAt, 5000, "SIGTERM stops the worker promptly, job or not")
      assert.notStrictEqual(code, null)

      const second = yield* spawnWorker(home)
      assert.deepStrictEqual((yield* get(`${second.url}/status`)).json, { status: "idle" }, "the interrupted job is not resumed")
      const lines: ReadonlyArray<string> = (yield* get(`${second.url}/logs?source=pipeline&tail=1000`)).json.lines
      assert.include(lines, "[pipeline] [stage] Generating ontology")
      assert.isTrue(lines.some((l) => l.startsWith("[pipeline] round=1/200")), "the previous process's log survives")
      // The orchestrator can submit again.
      assert.strictEqual((yield* post(`${second.url}/job`, jobRequest({ max_rounds: 1 }))).status, 200)
    }), 30_000)

  it.live("pod/start.sh: when vLLM dies at start the worker still serves, answers 503 and shows vLLM's fatal marker", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("pod-start-")
      // A stand-in for vLLM on a machine without a GPU: it logs its arguments and the CUDA failure, then exits.
      yield* Effect.promise(async () => {
        await Fs.mkdir(NodePath.join(dir, "bin"))
        await Fs.writeFile(
          NodePath.join(dir, "bin", "python3"),
          "#!/usr/bin/env bash\necho \"INFO vllm args: $*\"\n" +
            "echo \"RuntimeError: CUDA driver initialization failed, you might not have a CUDA gpu.\"\nexit 1\n",
          { mode: 0o755 }
        )
      })
      const worker = yield* spawnWorker(NodePath.join(dir, "home"), ["bash", "pod/start.sh"], {
        PATH: `${NodePath.join(dir, "bin")}:${NodePath.dirname(process.execPath)}:${process.env["PATH"] ?? ""}`,
        HF_HOME: NodePath.join(dir, "hf"),
        VLLM_LOG_FILE: NodePath.join(dir, "vllm.log"),
        FISHCLOUD_DIR: root,
        MODEL_ID: "Qwen/Qwen3-8B",
        LLM_BASE_URL: "http://127.0.0.1:9/v1"
      })
      const health = yield* get(`${worker.url}/health`)
      assert.strictEqual(health.status, 503)
      assert.strictEqual(health.json.status, "waiting_for_vllm")
      const lines: ReadonlyArray<string> = (yield* get(`${worker.url}/logs?source=vllm&tail=50`)).json.lines
      assert.isTrue(lines.every((l) => l.startsWith("[vllm] ")))
      assert.isTrue(
        lines.some((l) => l.includes("--model Qwen/Qwen3-8B --served-model-name Qwen/Qwen3-8B --host 0.0.0.0 --port 8000")),
        lines.join("\n")
      )
      assert.strictEqual(fatalVllmMarker(lines), "CUDA driver initialization failed")
      worker.child.kill("SIGTERM")
      yield* exited(worker.child)
    }), 30_000)
})
