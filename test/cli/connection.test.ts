/** Where the CLI finds the service and its token, what it says when it cannot, and the routing commands. */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { TestService, TestServiceLive } from "../support/service.ts"
import { assertOneLineError, closedPort, runCli, scopedHome } from "../support/cli-process.ts"

layer(TestServiceLive(), { excludeTestServices: true })("fishcloud CLI: connection and routing", (it) => {
  it.effect("without any token it explains where a token comes from", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const home = yield* scopedHome
      const result = yield* runCli(["list"], { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_HOME: home })
      const line = assertOneLineError(result, "no token: set FISHCLOUD_TOKEN")
      assert.include(line, NodePath.join(home, "token"))
    }))

  it.effect("reads the token that serve wrote to $FISHCLOUD_HOME/token", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      // The test service started on an empty database, so it created the local administrator's token file.
      const result = yield* runCli(["list"], { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_HOME: service.home })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stdout, "no jobs\n")
    }))

  it.effect("a wrong token gets the API's 401 reason", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const home = yield* scopedHome
      const result = yield* runCli(["list"], { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: "fc_wrong", FISHCLOUD_HOME: home })
      assertOneLineError(result, "Missing or invalid bearer token")
    }))

  it.effect("--url and --token win over the environment, before or after the command", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("flagged")
      const home = yield* scopedHome
      const port = yield* closedPort
      const env = { FISHCLOUD_URL: `http://127.0.0.1:${port}`, FISHCLOUD_TOKEN: "fc_wrong", FISHCLOUD_HOME: home }
      const [after, before] = yield* Effect.all([
        runCli(["list", "--url", service.baseUrl, "--token", token], env),
        runCli(["--url", service.baseUrl, "--token", token, "list"], env)
      ], { concurrency: "unbounded" })
      for (const result of [after, before]) {
        assert.strictEqual(result.code, 0, result.stderr)
        assert.strictEqual(result.stdout, "no jobs\n")
      }
    }))

  it.effect("an unreachable service is named in one line", () =>
    Effect.gen(function*() {
      const home = yield* scopedHome
      const port = yield* closedPort
      const url = `http://127.0.0.1:${port}`
      const result = yield* runCli(["status", "1"], { FISHCLOUD_URL: url, FISHCLOUD_TOKEN: "fc_any", FISHCLOUD_HOME: home })
      assert.strictEqual(assertOneLineError(result, "cannot reach"), `fishcloud: cannot reach fishcloud at ${url}`)
    }))

  it.effect("routing list shows every tier; routing set changes one (administrators only)", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const admin = yield* service.tokenFor("router", { admin: true })
      const user = yield* service.tokenFor("plain")
      const home = yield* scopedHome
      const env = (token: string) => ({ FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: token, FISHCLOUD_HOME: home })

      const listed = yield* runCli(["routing", "list"], env(user))
      assert.strictEqual(listed.code, 0, listed.stderr)
      const lines = listed.stdout.trimEnd().split("\n")
      assert.match(lines[0]!, /^TIER\s+MODEL\s+GPU\s+MAX ROUNDS\s+AGENTS\s+VLLM ARGS$/)
      assert.deepStrictEqual(lines.slice(1).map((line) => line.split(/\s+/)[0]), ["small", "medium", "large"])

      const set = ["routing", "set", "large", "--model", "Qwen/Qwen3-32B", "--gpu", "NVIDIA H100", "--max-rounds", "300",
        "--agents", "50", "--vllm-args=--max-model-len 32768"]
      const refused = yield* runCli(set, env(user))
      assertOneLineError(refused, "Changing the model routing needs an administrator token")

      const changed = yield* runCli(set, env(admin))
      assert.strictEqual(changed.code, 0, changed.stderr)
      assert.match(changed.stdout, /^large\s+Qwen\/Qwen3-32B\s+NVIDIA H100\s+300\s+50\s+--max-model-len 32768$/m)
      const reply = yield* service.call("GET", "/api/routing", { token: user })
      const large = (reply.json as ReadonlyArray<Record<string, unknown>>).find((row) => row["sim_tier"] === "large")
      assert.deepStrictEqual(large, {
        sim_tier: "large",
        model_id: "Qwen/Qwen3-32B",
        gpu_type: "NVIDIA H100",
        max_rounds: 300,
        target_agents: 50,
        vllm_args: "--max-model-len 32768"
      })

      const outOfRange = yield* runCli([...set.slice(0, 8), "0", ...set.slice(9)], env(admin))
      assertOneLineError(outOfRange, "--max-rounds")
    }))

  it.effect("a blank FISHCLOUD_TOKEN counts as no token, and a token file with a newline works", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("filed")
      const home = yield* scopedHome
      const blank = yield* runCli(["list"], { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: " ", FISHCLOUD_HOME: home })
      assertOneLineError(blank, "no token")
      yield* Effect.promise(() => Fs.writeFile(NodePath.join(home, "token"), `${token}\n`, { mode: 0o600 }))
      const filed = yield* runCli(["list"], { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: "", FISHCLOUD_HOME: home })
      assert.strictEqual(filed.code, 0, filed.stderr)
    }))
})
