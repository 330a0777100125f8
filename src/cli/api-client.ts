/**
 * The typed client of the one HttpApi definition (`src/api/definition.ts`), on the connection's base URL with the
 * bearer token added by the client side of the `Authorization` middleware. `request` runs one call and turns every
 * failure into a one-line `CliFailure`.
 */
import { Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"
import { ProblemBody } from "../api/api-errors.ts"
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { Api } from "../api/definition.ts"
import { Authorization } from "../api/security.ts"
import { Connection, ConnectionLive, requireToken } from "./connection.ts"
import { CliFailure, oneLine } from "./cli-errors.ts"

export class ApiClient extends Context.Service<ApiClient, HttpApiClient.ForApi<typeof Api>>()("fishcloud/cli/ApiClient") {}

/** The server answered something the definition does not allow (e.g. a different fishcloud version). */
class UnexpectedResponse extends Data.TaggedError("UnexpectedResponse")<{
  readonly baseUrl: string
  readonly problem: string
}> {
  override get message() {
    return `unexpected response from fishcloud at ${this.baseUrl}: ${this.problem}`
  }
}

/** Needs a token: every API command acts as a user. */
const ApiClientLive = Layer.effect(
  ApiClient,
  Effect.gen(function*() {
    const { baseUrl } = yield* Connection
    const token = yield* requireToken
    const bearer = HttpApiMiddleware.layerClient(
      Authorization,
      ({ next, request }) => next(HttpClientRequest.bearerToken(request, Redacted.value(token)))
    )
    return yield* HttpApiClient.make(Api, {
      transformClient: HttpClient.mapRequest(HttpClientRequest.prependUrl(baseUrl)),
      // A response that does not match the definition is the server's problem, not the user's input.
      transformResponse: Effect.mapError((error) =>
        Schema.isSchemaError(error) ? new UnexpectedResponse({ baseUrl, problem: oneLine(error.message) }) : error
      )
    }).pipe(Effect.provide([bearer, FetchHttpClient.layer]))
  })
)

/** The client and the connection it uses, for the commands that call the API. */
export const ApiLive = ApiClientLive.pipe(Layer.provideMerge(ConnectionLive))


const problemText = (problem: typeof ProblemBody.Type): Option.Option<string> => {
  const issues = (problem.errors ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`)
  const text = problem.detail ?? problem.title
  if (text === undefined) return Option.none()
  const untold = issues.filter((issue) => !text.includes(issue))
  return Option.some(untold.length > 0 ? `${text} (${untold.join("; ")})` : text)
}

/** A response the client could not map to a declared error: show the server's problem, else the status. */
const describeResponse = (error: HttpClientError.HttpClientError, baseUrl: string) =>
  Effect.gen(function*() {
    const response = error.response
    if (response === undefined) return `unexpected answer from fishcloud at ${baseUrl}`
    const body = yield* response.json.pipe(
      Effect.flatMap(Schema.decodeUnknownEffect(ProblemBody)),
      Effect.map(problemText),
      Effect.orElseSucceed(Option.none<string>)
    )
    return Option.getOrElse(body, () => `fishcloud at ${baseUrl} answered HTTP ${response.status}`)
  })

const describe = (error: Error, baseUrl: string): Effect.Effect<string> => {
  if (HttpClientError.isHttpClientError(error)) {
    switch (error.reason._tag) {
      case "TransportError":
        return Effect.succeed(`cannot reach fishcloud at ${baseUrl}`)
      case "InvalidUrlError":
        return Effect.succeed(`invalid fishcloud URL: ${baseUrl}`)
      case "EncodeError":
        return Effect.succeed(`invalid request: ${oneLine(error.reason.message)}`)
      default:
        return describeResponse(error, baseUrl)
    }
  }
  // Responses are checked in `transformResponse`, so a schema error here is about the request: the user's input.
  if (Schema.isSchemaError(error)) return Effect.succeed(`invalid input: ${oneLine(error.message)}`)
  // The declared problems (src/api/api-errors.ts): their message is the problem's detail, else its title.
  // `UnexpectedResponse` carries its own message too.
  return Effect.succeed(oneLine(error.message))
}

/** Runs one API call; any failure becomes one line naming the problem. */
export const request = <A, E extends Error>(call: (client: ApiClient["Service"]) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const client = yield* ApiClient
    const { baseUrl } = yield* Connection
    return yield* call(client).pipe(
      Effect.catch((error) =>
        Effect.flatMap(describe(error, baseUrl), (message) => Effect.fail(new CliFailure({ message })))
      )
    )
  })
