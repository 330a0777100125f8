import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { AccountsLive } from "../../layers/db/accounts.ts"
import { Accounts, authenticationFreshFor } from "../../services/accounts.ts"
import { TestDatabaseLive } from "../support/test-database.ts"

const deleteTokens = (user: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM api_tokens USING users WHERE users.id = api_tokens.user_id AND users.name = ${user}`
  }).pipe(Effect.orDie)

layer(AccountsLive.pipe(Layer.provideMerge(TestDatabaseLive)))("Accounts: authentication", (it) => {
  it.effect("a valid token is trusted for authenticationFreshFor without asking again; a removed one stops working after it", () =>
    Effect.gen(function*() {
      const accounts = yield* Accounts
      const { token, user } = yield* accounts.issueToken("cached-user")
      assert.deepStrictEqual(Option.map(yield* accounts.authenticate(token), (found) => found.id), Option.some(user.id))
      yield* deleteTokens("cached-user")
      assert.isTrue(Option.isSome(yield* accounts.authenticate(token)), "still trusted within the freshness window")
      yield* TestClock.adjust(authenticationFreshFor)
      assert.isTrue(Option.isNone(yield* accounts.authenticate(token)), "asked again after it: the token is gone")
    }))
})
