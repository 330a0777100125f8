/**
 * One Postgres server for the whole run: TEST_DATABASE_URL or DATABASE_URL when set (CI uses the machine's
 * server), else an embedded server in a temporary folder, stopped at the end. Each test file then creates and drops
 * its own database on it (`test/support/test-database.ts`).
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Effect, Exit, Redacted, Scope } from "effect"
import type { TestProject } from "vitest/node"
import { embeddedPostgres } from "../../layers/db/embedded-postgres.ts"

declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string
  }
}

export default async function setup(project: TestProject) {
  const configured = process.env["TEST_DATABASE_URL"] ?? process.env["DATABASE_URL"]
  if (configured !== undefined && configured.length > 0) {
    project.provide("adminDatabaseUrl", configured)
    return
  }
  const home = await Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-test-pg-"))
  // mkdtemp makes the folder 0700; as root, the postgres user must be able to enter it.
  await Fs.chmod(home, 0o755)
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(embeddedPostgres(home).pipe(Scope.provide(scope)))
  project.provide("adminDatabaseUrl", Redacted.value(server.url))
  return async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await Fs.rm(home, { recursive: true, force: true })
  }
}
