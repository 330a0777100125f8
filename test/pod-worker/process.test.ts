import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs/promises"
import { fatalVllmMarker } from "../../src/lifecycle/poll-signals.ts"
import { eventuallyEffect } from "../support/eventually.ts"
import { exited, get, jobRequest, post, spawnWorker, tempDir } from "../support/pod-worker.ts"

const root = NodePath.resolve(import.meta.dirname, "../..")

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

  it.live("pod/start.sh: when vLLM dies at start the worker still serves, answers 503 and shows vLLM's fatal marker; vLLM never sees the secret", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("pod-start-")
      // A stand-in for vLLM on a machine without a GPU: it logs its arguments and the CUDA failure, then exits.
      yield* Effect.promise(async () => {
        await Fs.mkdir(NodePath.join(dir, "bin"))
        await Fs.writeFile(
          NodePath.join(dir, "bin", "python3"),
          "#!/usr/bin/env bash\necho \"INFO vllm args: $*\"\necho \"INFO vllm sees POD_WORKER_SECRET=${POD_WORKER_SECRET:-unset}\"\n" +
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
      assert.include(lines, "[vllm] INFO vllm sees POD_WORKER_SECRET=unset", "vLLM is not given the worker's secret")
      assert.strictEqual((yield* get(`${worker.url}/status`)).status, 200, "the worker under start.sh has its secret")
      worker.child.kill("SIGTERM")
      yield* exited(worker.child)
    }), 30_000)
})
