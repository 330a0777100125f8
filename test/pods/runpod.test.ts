import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Redacted } from "effect"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { gpuCandidates } from "../../src/domain/pods.ts"
import { type FakePod, fakeRunPod } from "../support/fake-runpod.ts"
import { telemetryRecorder } from "../support/telemetry-recorder.ts"
import { SimulatedTimeLiveAt } from "../support/simulated-time.ts"
import { SimulatedTime } from "../support/simulated-time.ts"
import { driveClock, request, runpodProvider, testImage } from "../support/runpod-provider.ts"

const L40S = "NVIDIA L40S"
const H100 = "NVIDIA H100 80GB HBM3"
const tried = (bodies: ReadonlyArray<Record<string, unknown>>) =>
  bodies.map((body) => `${(body["gpu"] as { id: string }).id}/${String(body["cloud"])}`)

describe("RunPod provider: create", () => {
  it.effect("sends the documented v2 body: name, image, one GPU, the pool, 60 GB disk, ports 5000/8000, env, no volume", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake)
      const pod = yield* provider.create(request())

      assert.deepStrictEqual(fake.createBodies(), [{
        name: "fishcloud-sim-j42-a1",
        image: testImage,
        gpu: { id: L40S, count: 1 },
        cloud: "SECURE",
        disk: 60,
        ports: ["5000/http", "8000/http"],
        env: { MODEL_ID: "Qwen/Qwen3-8B", LLM_BASE_URL: "http://localhost:8000/v1", MAX_ROUNDS: "15" }
      }])
      const create = fake.requests()[0]!
      assert.strictEqual(`${create.method} ${create.path}`, "POST /v2/pods")
      assert.strictEqual(create.authorization, `Bearer ${fake.apiKey}`)
      assert.deepStrictEqual(pod, {
        id: fake.pods()[0]!.id,
        name: "fishcloud-sim-j42-a1",
        gpu_type: L40S,
        cost_per_hour: 0.86,
        state: "provisioning",
        worker_url: null
      })
    }))

  it.effect("the pod's worker secret goes into the create body's env, and nowhere else: no log, span or error", () => {
    const telemetry = telemetryRecorder()
    return Effect.gen(function*() {
      const secret = "pod-worker-secret-c0ffee-41e7"
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake)
      const env = { ...request().env, POD_WORKER_SECRET: Redacted.make(secret) }
      yield* telemetry.record(provider.create(request({ env })))
      assert.strictEqual((fake.createBodies()[0]!["env"] as Record<string, string>)["POD_WORKER_SECRET"], secret, "sent in plain, as the pod needs it")
      // A refused create: the answer's words are in the error, the body's are not.
      fake.script({ unprocessable: "bad env" })
      const refused = yield* telemetry.record(provider.create(request({ name: "fishcloud-sim-j42-a2", env }))).pipe(Effect.flip)
      assert.include(refused.message, "bad env")
      assert.include(telemetry.spanNames(), "RunPod.create")
      for (const text of [String(refused), JSON.stringify(refused), ...telemetry.lines, ...telemetry.spanText()]) {
        assert.notInclude(text, secret)
      }
    })
  })

  it.effect("records the hourly cost from the pod GET when the create answer has none", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { createAnswerOmitsCost: true, cost: () => 1.19 } })
      const provider = yield* runpodProvider(fake)
      const pod = yield* provider.create(request())
      assert.strictEqual(pod.cost_per_hour, 1.19)
      assert.deepStrictEqual(fake.requests().map((entry) => entry.route), ["create", "get"])
    }))

  it.effect("after stock-outs, tries every GPU type in the configured pool, then the wider pool (ALL), in order", () =>
    Effect.gen(function*() {
      const everyGpuInSecure = gpuCandidates(L40S).map((gpu) => ({ gpu, cloud: "SECURE" as const }))
      const fake = yield* fakeRunPod({ script: { stockOut: [...everyGpuInSecure, { gpu: L40S, cloud: "COMMUNITY" }] } })
      const provider = yield* runpodProvider(fake)
      const pod = yield* provider.create(request({ cloudType: "SECURE" }))

      assert.deepStrictEqual(tried(fake.createBodies()), [
        ...gpuCandidates(L40S).map((gpu) => `${gpu}/SECURE`),
        `${L40S}/COMMUNITY`,
        `${H100}/COMMUNITY`
      ])
      assert.strictEqual(pod.gpu_type, H100)
      assert.lengthOf(fake.pods(), 1)
    }))

  it.effect("with pool ALL, each GPU type is tried in SECURE then COMMUNITY before the next type", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { stockOut: [{ gpu: L40S }, { gpu: H100, cloud: "SECURE" }] } })
      const provider = yield* runpodProvider(fake)
      const pod = yield* provider.create(request({ cloudType: "ALL" }))
      assert.deepStrictEqual(tried(fake.createBodies()), [`${L40S}/SECURE`, `${L40S}/COMMUNITY`, `${H100}/SECURE`, `${H100}/COMMUNITY`])
      assert.strictEqual(pod.gpu_type, H100)
    }))

  it.effect("RUNPOD_CLOUD_TYPE overrides the pool the tier asks for", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake, { RUNPOD_CLOUD_TYPE: "COMMUNITY" })
      yield* provider.create(request({ cloudType: "SECURE" }))
      assert.deepStrictEqual(tried(fake.createBodies()), [`${L40S}/COMMUNITY`])
    }))

  it.effect("everything out of stock: no_capacity, naming every candidate tried and the last error", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { stockOut: gpuCandidates(L40S).map((gpu) => ({ gpu })) } })
      const provider = yield* runpodProvider(fake)
      const error = yield* Effect.flip(provider.create(request()))

      assert.strictEqual(error.reason, "no_capacity")
      assert.lengthOf(fake.createBodies(), 16)
      assert.include(error.message, "no RunPod GPU for fishcloud-sim-j42-a1: tried NVIDIA L40S (SECURE): no capacity, NVIDIA H100 80GB HBM3 (SECURE): no capacity")
      assert.include(error.message, "NVIDIA A100-SXM4-40GB (COMMUNITY): no capacity; last error: no capacity (400: There are no longer any instances")
      assert.lengthOf(fake.pods(), 0)
    }))

  it.effect("402 (balance) stops at once: payment_required, no other candidate tried", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { paymentRequired: true } })
      const provider = yield* runpodProvider(fake)
      const error = yield* Effect.flip(provider.create(request()))
      assert.strictEqual(error.reason, "payment_required")
      assert.strictEqual(error.message, "RunPod create fishcloud-sim-j42-a1 on NVIDIA L40S (SECURE): payment required (402: insufficient balance to create this pod)")
      assert.lengthOf(fake.createBodies(), 1)
    }))

  it.effect("403 skips that candidate only: the GPU the key cannot use is passed over, the next one is rented", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { forbidden: [{ gpu: L40S }] } })
      const provider = yield* runpodProvider(fake)
      const pod = yield* provider.create(request({ cloudType: "ALL" }))
      assert.deepStrictEqual(tried(fake.createBodies()), [`${L40S}/SECURE`, `${L40S}/COMMUNITY`, `${H100}/SECURE`])
      assert.strictEqual(pod.gpu_type, H100)
    }))

  it.effect("403 on every candidate is reported as forbidden, not as a shortage", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { forbidden: gpuCandidates(L40S).map((gpu) => ({ gpu })) } })
      const provider = yield* runpodProvider(fake)
      const error = yield* Effect.flip(provider.create(request({ cloudType: "ALL" })))
      assert.strictEqual(error.reason, "forbidden")
      assert.include(error.message, "last error: forbidden (403: access denied)")
    }))

  it.effect("422 is never retried: invalid, after one request", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { unprocessable: "gpu.count exceeds the maximum for this GPU type" } })
      const provider = yield* runpodProvider(fake)
      const error = yield* Effect.flip(provider.create(request()))
      assert.strictEqual(error.reason, "invalid")
      assert.include(error.message, "invalid request (422: gpu.count exceeds the maximum for this GPU type)")
      assert.lengthOf(fake.requests(), 1)
    }))

  it.effect("a wrong API key (401) stops at once, saying the key was refused", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ apiKey: "rp_the_right_key" })
      const provider = yield* runpodProvider(fake, { RUNPOD_API_KEY: "rp_a_wrong_key" })
      const error = yield* Effect.flip(provider.create(request()))
      assert.strictEqual(error.reason, "forbidden")
      assert.include(error.message, "API key refused (401: invalid api key)")
      assert.lengthOf(fake.requests(), 1)
    }))

  it.effect("429 waits what Retry-After says (seconds, then an HTTP date), then retries the same candidate", () => {
    const telemetry = telemetryRecorder()
    const logged = (text: string) => telemetry.lines.some((line) => line.includes(text))
    return Effect.gen(function*() {
      const time = yield* SimulatedTime
      const fake = yield* fakeRunPod({
        script: {
          failures: [
            { route: "create", status: 429, retryAfter: "12" },
            // 30 s after the start, 18 s after the first wait.
            { route: "create", status: 429, retryAfter: new Date((yield* time.now) + 30_000).toUTCString() }
          ]
        }
      })
      const provider = yield* runpodProvider(fake)
      const fiber = yield* Effect.forkChild(provider.create(request()))
      yield* time.settle
      assert.isTrue(logged("rate limited (429), retrying in 12s"), "the first 429 is logged")
      yield* time.advanceBy("11 seconds")
      assert.lengthOf(fake.createBodies(), 1, "no retry before Retry-After has passed")
      yield* time.advanceBy("1 second")
      assert.isTrue(logged("rate limited (429), retrying in 18s"), "the second 429 is logged")
      yield* time.advanceBy("17 seconds")
      assert.lengthOf(fake.createBodies(), 2, "no retry before the HTTP date")
      yield* time.advanceBy("1 second")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(tried(fake.createBodies()), [`${L40S}/SECURE`, `${L40S}/SECURE`, `${L40S}/SECURE`])
      assert.lengthOf(fake.pods(), 1)
    }).pipe(
      // Starting on a whole second, as HTTP dates are. The recorder's tracer sits below the simulated time's, so the
      // HTTP spans are both recorded and counted.
      Effect.provide(SimulatedTimeLiveAt(Math.ceil(Date.now() / 1000) * 1000)),
      telemetry.record
    )
  })
})

describe("RunPod provider: server errors and rate limits", () => {
  it.effect("a Retry-After beyond two minutes is not waited out here: rate_limited at once (the lifecycle retries later)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { failures: [{ route: "create", status: 429, retryAfter: "3600" }] } })
      const provider = yield* runpodProvider(fake)
      const { exit, elapsedMs } = yield* driveClock(provider.create(request()))
      const error = yield* Effect.flip(exit)
      assert.strictEqual(error.reason, "rate_limited")
      assert.include(error.message, "rate limited (429: rate limit exceeded for the minute window)")
      assert.lengthOf(fake.createBodies(), 1)
      assert.isBelow(elapsedMs, 5_000, "no waiting at all")
    }))

  it.effect("5xx is retried on the same candidate with back-off, then the pod is created", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { failures: [{ route: "create", status: 503, times: 2 }] } })
      const provider = yield* runpodProvider(fake)
      const { exit, elapsedMs } = yield* driveClock(provider.create(request()))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(tried(fake.createBodies()), [`${L40S}/SECURE`, `${L40S}/SECURE`, `${L40S}/SECURE`])
      assert.isAtLeast(elapsedMs, 3_000, "waited 1 s, then 2 s")
      assert.lengthOf(fake.pods(), 1)
    }))

  it.effect("5xx forever: a transient error after the bounded retries (5 tries, about 15 s of back-off)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { failures: [{ route: "create", status: 502, times: 1000, detail: "bad gateway" }] } })
      const provider = yield* runpodProvider(fake)
      const { exit, elapsedMs } = yield* driveClock(provider.create(request()))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(exit)
      assert.strictEqual(error.reason, "transient")
      assert.strictEqual(error.message, "RunPod create fishcloud-sim-j42-a1 on NVIDIA L40S (SECURE): server error (502: bad gateway)")
      assert.lengthOf(fake.createBodies(), 5)
      assert.isAtLeast(elapsedMs, 15_000)
      assert.isBelow(elapsedMs, 60_000)
    }))

  it.effect("a 5xx that hid a created pod: the retry finds the pod by name and adopts it instead of renting a second", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { failures: [{ route: "create", status: 500, afterCreating: true }] } })
      const provider = yield* runpodProvider(fake)
      const { exit } = yield* driveClock(provider.create(request()))
      const pod = yield* exit
      assert.lengthOf(fake.pods(), 1)
      assert.strictEqual(pod.id, fake.pods()[0]!.id)
      assert.deepStrictEqual(fake.requests().map((entry) => entry.route), ["create", "list"])
    }))
  it.effect("a created pod whose answer cannot be read is found by name and adopted, not left running unknown", () =>
    Effect.gen(function*() {
      // The scripted "failure" is a 201 whose body is a problem object, not a Pod.
      const fake = yield* fakeRunPod({ script: { failures: [{ route: "create", status: 201, afterCreating: true }] } })
      const provider = yield* runpodProvider(fake)
      const pod = yield* provider.create(request())
      assert.strictEqual(pod.id, fake.pods()[0]!.id)
      assert.deepStrictEqual(fake.requests().map((entry) => entry.route), ["create", "list"])
    }))
})

describe("RunPod provider: get, list, terminate", () => {
  it.effect("get maps v2 statuses: running only when RUNNING with a runtime; worker URL on the RunPod proxy", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake)
      const pod = fake.addPod({ name: "fishcloud-sim-j42-a1" })
      const stateWith = (status: string, runtime: FakePod["runtime"]) =>
        Effect.gen(function*() {
          fake.setPod(pod.id, { status, runtime })
          const found = yield* provider.get(pod.id)
          assert.isTrue(Option.isSome(found))
          const value = Option.getOrThrow(found)
          return [value.state, value.worker_url]
        })
      const ports = [{ private: 5000, public: null, type: "http" }]
      assert.deepStrictEqual(yield* stateWith("PROVISIONING", null), ["provisioning", null])
      assert.deepStrictEqual(yield* stateWith("STARTING", null), ["provisioning", null])
      assert.deepStrictEqual(yield* stateWith("RUNNING", null), ["provisioning", null])
      assert.deepStrictEqual(yield* stateWith("RUNNING", {}), ["provisioning", null])
      assert.deepStrictEqual(yield* stateWith("RUNNING", { uptime: 3, ports }), ["running", `https://${pod.id}-5000.proxy.runpod.net`])
      assert.deepStrictEqual(yield* stateWith("EXITED", null), ["stopped", null])
      assert.deepStrictEqual(yield* stateWith("ERROR", null), ["error", null])
      assert.deepStrictEqual(yield* stateWith("TERMINATED", null), ["terminated", null])
    }))

  it.effect("a new pod is provisioning until RunPod reports it RUNNING, then running with its price and GPU", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({ script: { readyAfterGets: 3 } })
      const provider = yield* runpodProvider(fake)
      const created = yield* provider.create(request())
      const states = []
      for (let poll = 0; poll < 3; poll++) states.push(Option.getOrThrow(yield* provider.get(created.id)).state)
      assert.deepStrictEqual(states, ["provisioning", "provisioning", "running"])
      const running = Option.getOrThrow(yield* provider.get(created.id))
      assert.deepStrictEqual(running, { ...created, state: "running", worker_url: `https://${created.id}-5000.proxy.runpod.net` })
      assert.deepStrictEqual(fake.requests().filter((entry) => entry.route === "get").map((entry) => entry.path)[0], `/v2/pods/${created.id}`)
    }))

  it.effect("get of an unknown pod (404) is None", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake)
      assert.isTrue(Option.isNone(yield* provider.get("nosuchpod")))
    }))

  it.effect("listByPrefix lists the account's pods and keeps those whose name starts with the prefix", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake)
      for (const name of ["fishcloud-sim-j7-a1", "fishcloud-sim-j7-a2", "fishcloud-sim-j70-a1", "someone-elses-notebook"]) fake.addPod({ name })
      const pods = yield* provider.listByPrefix("fishcloud-sim-j7-")
      assert.deepStrictEqual(pods.map((pod) => pod.name), ["fishcloud-sim-j7-a1", "fishcloud-sim-j7-a2"])
      assert.deepStrictEqual(fake.requests().map((entry) => `${entry.method} ${entry.path}`), ["GET /v2/pods"])
    }))

  it.effect("terminate deletes the pod; terminating it again, or a pod RunPod never had, succeeds", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake)
      const pod = fake.addPod({ name: "fishcloud-sim-j42-a1", status: "RUNNING" })
      yield* provider.terminate(pod.id)
      assert.lengthOf(fake.pods(), 0)
      yield* provider.terminate(pod.id)
      yield* provider.terminate("neverexisted")
      assert.deepStrictEqual(fake.requests().map((entry) => `${entry.method} ${entry.path} ${entry.status}`), [
        `DELETE /v2/pods/${pod.id} 204`,
        `DELETE /v2/pods/${pod.id} 404`,
        "DELETE /v2/pods/neverexisted 404"
      ])
    }))

  it.effect("terminate retries 5xx and 429, then the pod is gone", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod({
        script: { failures: [{ route: "delete", status: 503 }, { route: "delete", status: 429, retryAfter: "2" }] }
      })
      const provider = yield* runpodProvider(fake)
      const pod = fake.addPod({ name: "fishcloud-sim-j42-a1", status: "RUNNING" })
      const { exit } = yield* driveClock(provider.terminate(pod.id))
      assert.isTrue(Exit.isSuccess(exit))
      assert.lengthOf(fake.pods(), 0)
      assert.deepStrictEqual(fake.requests().map((entry) => entry.status), [503, 429, 204])
    }))
})

describe("RunPod provider: settings and secrets", () => {
  it.effect("without RUNPOD_API_KEY the provider does not start, and says which setting is missing", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      for (const apiKey of [undefined, "", "  "]) {
        const error = yield* Effect.flip(runpodProvider(fake, { RUNPOD_API_KEY: apiKey }))
        assert.include(error.message, "RUNPOD_API_KEY is not set")
      }
      assert.lengthOf(fake.requests(), 0)
    }))

  it.effect("the API key never appears in errors, logs or spans, whatever fails", () =>
    Effect.gen(function*() {
      const secret = "rp_SECRET_7f3a9c1e5b2d4f60"
      const fake = yield* fakeRunPod({ apiKey: secret })
      const telemetry = telemetryRecorder()
      const provider = yield* runpodProvider(fake)
      const wrongKey = yield* runpodProvider(fake, { RUNPOD_API_KEY: `${secret}_old` })
      const closedPort = yield* freeLoopbackPort
      const unreachable = yield* runpodProvider(fake, { RUNPOD_API_URL: `http://127.0.0.1:${closedPort}/v2` })
      const errors: Array<unknown> = []
      const collect = <A, E>(effect: Effect.Effect<A, E>) =>
        telemetry.record(effect).pipe(Effect.flip, Effect.map((error) => errors.push(error)))

      fake.script({ paymentRequired: true })
      yield* collect(provider.create(request()))
      fake.script({ paymentRequired: false, unprocessable: "bad env" })
      yield* collect(provider.create(request()))
      fake.script({ unprocessable: null, failures: [{ route: "get", status: 500, times: 100 }] })
      yield* collect(driveClock(provider.get("rp001x7k2m9")).pipe(Effect.flatMap(({ exit }) => exit)))
      yield* collect(wrongKey.terminate("rp001x7k2m9"))
      yield* collect(driveClock(unreachable.listByPrefix("fishcloud-")).pipe(Effect.flatMap(({ exit }) => exit)))

      assert.lengthOf(errors, 5)
      assert.include(String(errors[4]), "ECONNREFUSED", "a refused connection says so")
      assert.isAbove(telemetry.lines.length, 5, "the failures were logged")
      assert.include(telemetry.spanNames(), "RunPod.create")
      assert.include(telemetry.spanNames(), "POST", "the HTTP client's own spans were recorded too")
      const everything = [
        ...errors.map((error) => `${String(error)} ${JSON.stringify(error)}`),
        ...telemetry.lines,
        ...telemetry.spanText()
      ]
      for (const text of everything) assert.notInclude(text, secret)
      assert.isTrue(fake.requests().every((entry) => entry.authorization?.startsWith("Bearer ")), "the key was sent, as a bearer token")
    }))
})
