/** The names of the HTTP server's spans: the route template, never an id or a query string. */
import { Layer } from "effect"
import { HttpMiddleware } from "effect/http"
import { HttpApi, type HttpApiGroup } from "effect/http-api"

interface RouteTemplate {
  readonly method: string
  readonly path: string
  readonly pattern: RegExp
  readonly params: number
}

const compile = (method: string, path: string): RouteTemplate => {
  const segments = path.split("/").map((segment) =>
    segment.startsWith(":") ? "[^/]+" : segment === "*" ? ".*" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
  return { method, path, pattern: new RegExp(`^${segments.join("/")}$`), params: path.split(/[:*]/).length - 1 }
}

/**
 * Names HTTP server spans `METHOD /route/:template` (e.g. `POST /api/jobs`, `GET /api/jobs/:id`) instead of
 * Effect's default (the bare method). Effect names the span before routing, so the templates are matched here:
 * every endpoint of `api` plus `extra` routes (`[method, path]`, `*` as a wildcard); fixed paths win over
 * parameters. Unknown paths keep the bare method, so a span name never carries an id or a query string.
 */
export const httpSpanNames = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>,
  extra: ReadonlyArray<readonly [string, string]> = []
): Layer.Layer<never> => {
  const templates: Array<RouteTemplate> = []
  HttpApi.reflect(api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => templates.push(compile(endpoint.method, endpoint.path))
  })
  for (const [method, path] of extra) templates.push(compile(method, path))
  templates.sort((a, b) => a.params - b.params)
  return Layer.succeed(HttpMiddleware.SpanNameGenerator)((request) => {
    const queryStart = request.url.search(/[?#]/)
    const path = queryStart < 0 ? request.url : request.url.slice(0, queryStart)
    const template = templates.find((route) => route.method === request.method && route.pattern.test(path))
    return template === undefined ? request.method : `${request.method} ${template.path}`
  })
}
