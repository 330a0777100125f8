/**
 * The chaos run's jobs, submitted through the API as a client would while the chaos runs: each with its own
 * Idempotency-Key, retried while the API or its database is away, so a job is created once however often its
 * request is sent.
 */
import { Duration, Effect, Schema } from "effect"
import type { Submission } from "./chaos-report.ts"

/** How long one job's submission keeps retrying (a Postgres restart lasts seconds). */
const giveUpAfter = Duration.minutes(3)

const Created = Schema.Struct({ id: Schema.Int })
const Duplicate = Schema.Struct({ existing_job_id: Schema.Int })
const decodeCreated = Schema.decodeUnknownOption(Created)
const decodeDuplicate = Schema.decodeUnknownOption(Duplicate)

type Answer =
  | { readonly _tag: "Done"; readonly submission: Submission }
  | { readonly _tag: "Retry"; readonly why: string }

const post = (url: string, token: string, key: string, body: unknown) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000)
    })
    const text = await response.text()
    return { status: response.status, json: text === "" ? {} : JSON.parse(text) as unknown }
  })

interface SubmitOptions {
  readonly count: number
  readonly port: string
  readonly token: string
  readonly seed: number
  /** Every this many jobs one is medium (100 rounds instead of 15, so it meets more kills); 0 for none. */
  readonly mediumEvery: number
  readonly say: (line: string) => Effect.Effect<void>
}

const submitOne = (options: SubmitOptions, n: number) =>
  Effect.gen(function*() {
    // Distinct seeds and goals: an identical live job would be refused as a duplicate.
    const body = {
      seed_text: `Chaos job ${n} of run ${options.seed}. Mayor Alvarez and the Harbour Council vote on tram line ${n} on Tuesday.`,
      goal: `Will the council approve tram line ${n}?`,
      tier: options.mediumEvery > 0 && n % options.mediumEvery === 0 ? "medium" : "small",
      forecast_days: 1 + (n % 30)
    }
    const url = `http://127.0.0.1:${options.port}/api/jobs`
    const attempt = post(url, options.token, `chaos-${options.seed}-${n}`, body).pipe(
      Effect.map(({ status, json }): Answer => {
        const created = decodeCreated(json)
        if (status === 201 && created._tag === "Some") return { _tag: "Done", submission: { n, id: created.value.id, via: "created" } }
        const duplicate = decodeDuplicate(json)
        if (status === 409 && duplicate._tag === "Some") {
          return { _tag: "Done", submission: { n, id: duplicate.value.existing_job_id, via: "duplicate" } }
        }
        // 409 without a job: the same key is still in flight (a request cut short by a restart).
        if (status === 409 || status >= 500) return { _tag: "Retry", why: `${status} ${JSON.stringify(json).slice(0, 200)}` }
        return { _tag: "Done", submission: { n, id: null, via: "failed", detail: `${status} ${JSON.stringify(json).slice(0, 300)}` } }
      }),
      Effect.catch((error) => Effect.succeed<Answer>({ _tag: "Retry", why: String(error.cause ?? error) }))
    )
    const until = Date.now() + Duration.toMillis(giveUpAfter)
    let last = ""
    while (Date.now() < until) {
      const answer = yield* attempt
      if (answer._tag === "Done") return answer.submission
      last = answer.why
      yield* Effect.sleep(Duration.seconds(1))
    }
    return { n, id: null, via: "failed", detail: `gave up after ${Duration.format(giveUpAfter)}: ${last}` } satisfies Submission
  })

/** Submits jobs 1..count, four requests at a time, in order. */
export const submitJobs = (options: SubmitOptions) =>
  Effect.forEach(Array.from({ length: options.count }, (_, i) => i + 1), (n) =>
    submitOne(options, n).pipe(
      Effect.tap((submission) => submission.via === "failed" ? options.say(`job ${n}: not submitted: ${submission.detail}`) : Effect.void)
    ), { concurrency: 4 })
