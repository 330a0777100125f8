/** RFC 9457 problem responses for the routes outside the HttpApi (router errors, body limits, `/storage/*`). */
import { HttpServerResponse } from "effect/http"

export const problemContentType = "application/problem+json"

export const statusTitles: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error"
}

/** A problem+json response; `type` names the problem (`urn:fishcloud:problem:{type}`) when given. */
export const problem = (status: number, detail: string, type?: string) =>
  HttpServerResponse.jsonUnsafe(
    {
      type: type === undefined ? "about:blank" : `urn:fishcloud:problem:${type}`,
      title: statusTitles[status] ?? "Error",
      status,
      detail
    },
    { status, contentType: problemContentType }
  )
