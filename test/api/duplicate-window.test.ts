import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { TestServiceLive } from "../support/service.ts"
import { createJob, newJob, newUser } from "../support/api-fixtures.ts"

layer(TestServiceLive({ duplicateWindowSeconds: 0 }), { excludeTestServices: true })("DUPLICATE_WINDOW_SECONDS=0", (it) => {
  it.effect("an identical request after the (empty) window makes a second job", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("windowless")
      const payload = newJob()
      const first = yield* createJob(api, payload)
      const second = yield* createJob(api, payload)
      assert.notStrictEqual(second.id, first.id)
      const listed = yield* api.jobs.list({ query: {} })
      assert.strictEqual(listed.total, 2)
    }))
})
