/**
 * The dashboard's way to the API: the typed client derived from the one HttpApi definition (`src/api/definition.ts`),
 * on this page's origin, with the signed-in token as the bearer. Every failure is turned into one `Failure` the
 * pages can show: a 401 (token expired or revoked) signs the user out, a 404 shows "not found", a 400 names the
 * fields it is about.
 */
import { Effect, Exit, Option, Schema } from "effect"
import { ProblemBody } from "../../../src/api/api-errors.ts"
import { FetchHttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { Api } from "../../../src/api/definition.ts"
import { Authorization } from "../../../src/api/security.ts"

export type Client = HttpApiClient.ForApi<typeof Api>

/** What went wrong, as the pages show it. */
export type Failure =
  | { readonly kind: "unauthorized"; readonly message: string }
  | { readonly kind: "not-found"; readonly message: string }
  | { readonly kind: "invalid"; readonly message: string; readonly fields: Readonly<Record<string, string>> }
  | { readonly kind: "other"; readonly message: string; readonly status: number | null }

const tokenKey = "fishcloud.token"

export const storedToken = (): string | null => window.localStorage.getItem(tokenKey)
export const saveToken = (token: string) => window.localStorage.setItem(tokenKey, token)
export const forgetToken = () => window.localStorage.removeItem(tokenKey)

/** The client for `token` (none: only the public endpoints answer). */
const makeClient = (token: string | null): Effect.Effect<Client> =>
  HttpApiClient.make(Api, { baseUrl: window.location.origin }).pipe(
    Effect.provide([
      HttpApiMiddleware.layerClient(
        Authorization,
        ({ next, request }) => next(token === null ? request : HttpClientRequest.bearerToken(request, token))
      ),
      FetchHttpClient.layer
    ])
  )

type ProblemBody = typeof ProblemBody.Type

const decodeProblem = Schema.decodeUnknownOption(ProblemBody)

/** The request field an issue is about: `["payload", "goal"]` -> `goal`. */
const fieldOf = (path: ReadonlyArray<string | number>) => {
  const rest = path[0] === "payload" || path[0] === "query" || path[0] === "params" ? path.slice(1) : path
  return rest.length === 0 ? "" : String(rest[0])
}

const fieldsOf = (errors: ProblemBody["errors"]): Record<string, string> => {
  const fields: Record<string, string> = {}
  for (const issue of errors ?? []) {
    const field = fieldOf(issue.path)
    if (field !== "" && fields[field] === undefined) fields[field] = issue.message
  }
  return fields
}

/** A failure from a status and a problem body (either may be missing). */
const failureFrom = (status: number | null, body: unknown): Failure => {
  const problem = Option.getOrElse(decodeProblem(body), (): ProblemBody => ({}))
  const message = problem.detail ?? problem.title ?? (status === null ? "The service could not be reached" : `HTTP ${status}`)
  if (status === 401) return { kind: "unauthorized", message }
  if (status === 404) return { kind: "not-found", message }
  if (status === 400) return { kind: "invalid", message, fields: fieldsOf(problem.errors) }
  return { kind: "other", message, status }
}

const hasTag = (error: unknown): error is { readonly _tag: string } =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"

const numberField = (error: object, name: string): number | undefined => {
  const value: unknown = Reflect.get(error, name)
  return typeof value === "number" ? value : undefined
}

/** Any error of the typed client as a `Failure` (reading the response's problem body when the client did not). */
const toFailure = (error: unknown): Effect.Effect<Failure> => {
  if (HttpClientError.isHttpClientError(error)) {
    const response = error.response
    if (response === undefined) return Effect.succeed(failureFrom(null, undefined))
    return response.json.pipe(
      Effect.orElseSucceed(() => undefined),
      Effect.map((body) => failureFrom(response.status, body))
    )
  }
  if (Schema.isSchemaError(error)) {
    return Effect.succeed({ kind: "other", message: `Unexpected data: ${error.message.split("\n")[0] ?? ""}`, status: null })
  }
  if (hasTag(error) && error instanceof Error) {
    // A declared problem (src/api/api-errors.ts): its status says what kind of failure it is.
    const status = numberField(error, "status") ?? numberField(error, "httpApiStatus") ?? null
    const errors: unknown = Reflect.get(error, "errors")
    return Effect.succeed(failureFrom(status, { detail: error.message, errors }))
  }
  return Effect.succeed({ kind: "other", message: String(error), status: null })
}

export type Outcome<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly failure: Failure }

/** Runs one call with the client for `token`; the answer or the failure, never a rejected promise. */
export const call = <A, E>(token: string | null, use: (client: Client) => Effect.Effect<A, E>): Promise<Outcome<A>> =>
  Effect.runPromiseExit(
    makeClient(token).pipe(
      Effect.flatMap(use),
      Effect.map((value): Outcome<A> => ({ ok: true, value })),
      Effect.catch((error) => Effect.map(toFailure(error), (failure): Outcome<A> => ({ ok: false, failure })))
    )
  ).then((exit) =>
    Exit.isSuccess(exit)
      ? exit.value
      : { ok: false, failure: { kind: "other", message: "Unexpected error in the dashboard", status: null } }
  )
