/** Every migration, in order. Applied at start-up and by `fishcloud migrate`. */
import { Migrator } from "effect/sql"
import initial from "./0001_initial.ts"

export const migrations = Migrator.fromRecord({
  "0001_initial": initial
})
