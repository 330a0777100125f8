import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { TestService, testService } from "../support/service.ts"
import { newJob } from "./fixtures.ts"

layer(testService({ duplicateWindowSeconds: 0 }), { excludeTestServices: true })("DUPLICATE_WINDOW_SECONDS=0", (it) => {
  it.effect("an identical request after the (empty) window makes a second job", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("windowless")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token, json: body })
      const second = yield* service.call("POST", "/api/jobs", { token, json: body })
      assert.strictEqual(first.status, 201)
      assert.strictEqual(second.status, 201, second.text)
      assert.notStrictEqual(second.json.id, first.json.id)
      const listed = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(listed.json.total, 2)
    }))
})
