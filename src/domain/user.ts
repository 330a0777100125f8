/** Who is calling: a user of fishcloud, as an API token identifies them. */
import { Schema } from "effect"
import { UserId } from "./ids.ts"

export const User = Schema.Struct({ id: UserId, name: Schema.String, is_admin: Schema.Boolean })
export type User = typeof User.Type
