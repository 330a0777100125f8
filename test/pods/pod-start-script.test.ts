/**
 * `pod/start.sh`'s choice of where the model's weights come from, run with bash in a temporary folder with stand-ins
 * on PATH that record what they were asked: `curl` (serves a file of the size its URL names, or fails), `python3`
 * (vLLM: its arguments and which secrets it can see) and `node` (the worker: which secrets it can see). Cases: the
 * weights cache, a cache that fails half way, the hub with a token, the public hub.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { eventually } from "../support/eventually.ts"
import { tempDir } from "../support/pod-worker.ts"

const script = NodePath.resolve(import.meta.dirname, "../../pod/start.sh")

const stubs: Record<string, string> = {
  // `curl ... -o FILE URL`: writes as many bytes as the URL's `bytes=` asks, or fails (22) for a URL with `fail`.
  curl: `#!/bin/bash
out=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    --retry|--retry-delay) shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "$url -> $out" >> "$RECORD/curl"
case "$url" in *fail*) echo "curl: (22) The requested URL returned error: 403" >&2; exit 22 ;; esac
bytes="\${url##*bytes=}"
head -c "$bytes" /dev/zero > "$out"
`,
  python3: `#!/bin/bash
{ echo "args: $*"; echo "HF_TOKEN=\${HF_TOKEN:-unset}"; echo "WEIGHTS_CACHE_URLS=\${WEIGHTS_CACHE_URLS:-unset}"
  echo "POD_WORKER_SECRET=\${POD_WORKER_SECRET:-unset}"; } > "$RECORD/vllm.tmp"
mv "$RECORD/vllm.tmp" "$RECORD/vllm"
`,
  node: `#!/bin/bash
{ echo "args: $*"; echo "HF_TOKEN=\${HF_TOKEN:-unset}"; echo "WEIGHTS_CACHE_URLS=\${WEIGHTS_CACHE_URLS:-unset}"; } > "$RECORD/worker"
`
}

const token = "hf_SECRET_token_7c1d"
const url = (file: string, bytes: number) => `https://store.test/models/Qwen/Qwen3-8B/${file}?X-Amz-Signature=SIGNED&bytes=${bytes}`
const cacheUrls = (shardUrl = url("model-00001-of-00001.safetensors", 40)) =>
  [`config.json 12 ${url("config.json", 12)}`, `model-00001-of-00001.safetensors 40 ${shardUrl}`].join("\n")

interface Run {
  readonly dir: string
  readonly vllm: string
  readonly worker: string
  readonly curl: string
  readonly log: string
}

/** Runs start.sh with `env` (plus the stand-ins and temporary folders) and waits for vLLM's stand-in to have run. */
const runStartScript = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const dir = yield* tempDir("pod-start-script-")
    const bin = NodePath.join(dir, "bin")
    const record = NodePath.join(dir, "record")
    Fs.mkdirSync(bin)
    Fs.mkdirSync(record)
    for (const [name, text] of Object.entries(stubs)) Fs.writeFileSync(NodePath.join(bin, name), text, { mode: 0o755 })
    const code = yield* Effect.callback<number | null>((resume) => {
      const child = ChildProcess.spawn("bash", [script], {
        cwd: dir,
        stdio: "ignore",
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          RECORD: record,
          HF_HOME: NodePath.join(dir, "hf"),
          WEIGHTS_DIR: NodePath.join(dir, "weights"),
          VLLM_LOG_FILE: NodePath.join(dir, "vllm.log"),
          FISHCLOUD_DIR: dir,
          MODEL_ID: "Qwen/Qwen3-8B",
          POD_WORKER_SECRET: "pod-worker-secret-0123456789",
          ...env
        }
      })
      child.on("exit", (exitCode) => resume(Effect.succeed(exitCode)))
    })
    assert.strictEqual(code, 0, "start.sh hands over to the worker")
    const read = (name: string) => (Fs.existsSync(NodePath.join(record, name)) ? Fs.readFileSync(NodePath.join(record, name), "utf8") : "")
    // vLLM runs in the background while the worker starts: wait until its stand-in ran and start.sh logged its exit.
    yield* eventually("vLLM's stand-in ran", () => read("vllm") !== "" && Fs.readFileSync(NodePath.join(dir, "vllm.log"), "utf8").includes("vLLM exited"))
    return {
      dir,
      vllm: read("vllm"),
      worker: read("worker"),
      curl: read("curl"),
      log: Fs.readFileSync(NodePath.join(dir, "vllm.log"), "utf8")
    } satisfies Run
  })

/** What no log line and no worker may ever see: the token and the presigned URLs. */
const assertSecretsKept = (run: Run) => {
  assert.notInclude(run.log, token)
  assert.notInclude(run.log, "X-Amz-Signature")
  assert.include(run.worker, "HF_TOKEN=unset")
  assert.include(run.worker, "WEIGHTS_CACHE_URLS=unset")
  assert.include(run.worker, "args: src/pod-worker/main.ts")
  assert.include(run.vllm, "POD_WORKER_SECRET=unset")
  assert.include(run.vllm, "WEIGHTS_CACHE_URLS=unset")
}

describe("pod/start.sh: where the weights come from", () => {
  it.live("the weights cache: every file fetched into the weights folder, vLLM started on it", () =>
    Effect.gen(function*() {
      const run = yield* runStartScript({ WEIGHTS_CACHE_URLS: cacheUrls(), HF_TOKEN: token })
      const weights = NodePath.join(run.dir, "weights", "Qwen/Qwen3-8B")
      assert.deepStrictEqual(run.curl.trim().split("\n"), [
        `${url("config.json", 12)} -> ${weights}/config.json`,
        `${url("model-00001-of-00001.safetensors", 40)} -> ${weights}/model-00001-of-00001.safetensors`
      ])
      assert.strictEqual(Fs.statSync(NodePath.join(weights, "model-00001-of-00001.safetensors")).size, 40)
      assert.include(run.vllm, `args: -m vllm.entrypoints.openai.api_server --model ${weights} --served-model-name Qwen/Qwen3-8B`)
      assert.include(run.log, "start.sh: weights source: the weights cache")
      assert.include(run.log, "weights cache: 2 files fetched")
      assertSecretsKept(run)
    }), 30_000)

  it.live("a cache that fails half way: the partial copy is removed and the hub with the token is next", () =>
    Effect.gen(function*() {
      const run = yield* runStartScript({
        WEIGHTS_CACHE_URLS: cacheUrls(url("model-00001-of-00001.safetensors?fail", 40)),
        HF_TOKEN: token
      })
      assert.strictEqual(run.curl.trim().split("\n").length, 2, "stops at the failing file")
      assert.include(run.log, "weights cache: model-00001-of-00001.safetensors could not be fetched (curl exit 22)")
      assert.include(run.log, "start.sh: weights source: the HuggingFace hub with HF_TOKEN")
      assert.include(run.vllm, "--model Qwen/Qwen3-8B --served-model-name Qwen/Qwen3-8B")
      assert.include(run.vllm, `HF_TOKEN=${token}`)
      assert.isFalse(Fs.existsSync(NodePath.join(run.dir, "weights", "Qwen/Qwen3-8B")), "no partial copy left on the disk")
      assertSecretsKept(run)
    }), 30_000)

  it.live("a token only: nothing fetched, vLLM downloads from the hub with HF_TOKEN", () =>
    Effect.gen(function*() {
      const run = yield* runStartScript({ HF_TOKEN: token })
      assert.strictEqual(run.curl, "")
      assert.include(run.vllm, "--model Qwen/Qwen3-8B --served-model-name Qwen/Qwen3-8B --host 0.0.0.0 --port 8000")
      assert.include(run.vllm, `HF_TOKEN=${token}`)
      assert.include(run.log, "start.sh: weights source: the HuggingFace hub with HF_TOKEN")
      assertSecretsKept(run)
    }), 30_000)

  it.live("neither: the public hub, and the log says so", () =>
    Effect.gen(function*() {
      const run = yield* runStartScript({})
      assert.strictEqual(run.curl, "")
      assert.include(run.vllm, "--model Qwen/Qwen3-8B --served-model-name Qwen/Qwen3-8B")
      assert.include(run.vllm, "HF_TOKEN=unset")
      assert.include(run.log, "start.sh: weights source: the public HuggingFace hub (no HF_TOKEN)")
      assertSecretsKept(run)
    }), 30_000)
})
