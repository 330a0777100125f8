/**
 * Sign-in through the API's session group: `POST /api/session` exchanges a one-time sign-in code for a dashboard
 * token, `GET /api/me` says whose a token is (and so whether it still works).
 */
import { call } from "./client.ts"

export const exchangeCode = (code: string) => call(null, (client) => client.session.signIn({ payload: { code } }))

export const checkToken = (token: string) => call(token, (client) => client.session.me())
