/**
 * The submit form: seed (pasted or read from a .md/.txt file), goal, tier, forecast days, web enrichment. "Submit"
 * creates and starts the job (`POST /api/jobs`), "Save as draft" keeps it for later (`POST /api/jobs/draft`). The
 * input is checked with the API's own schema first, and the API's 400 problems name the field they are about: both
 * show next to that field (`error-<field>`); any other refusal shows in a banner.
 */
import { type ChangeEvent, type FormEvent, useState } from "react"
import { Schema } from "effect"
import { type DraftCreate, JobCreate } from "../../../src/domain/job.ts"
import { Tier } from "../../../src/domain/tier.ts"
import type { Failure } from "../api/client.ts"
import { navigate } from "../router.ts"
import { useApi, useLoad } from "../session.tsx"

type Field = "seed_text" | "goal" | "tier" | "forecast_days"
const fields: ReadonlyArray<Field> = ["seed_text", "goal", "tier", "forecast_days"]

const validator = Schema.toStandardSchemaV1(JobCreate, { parseOptions: { errors: "all" } })["~standard"]

/** The schema's complaints about `input`, by field (the first one of each). */
const localErrors = (input: unknown): Partial<Record<Field, string>> => {
  const result = validator.validate(input)
  if (result instanceof Promise || result.issues === undefined) return {}
  const found: Partial<Record<Field, string>> = {}
  for (const issue of result.issues) {
    const first = issue.path?.[0]
    const key = typeof first === "object" && first !== null ? first.key : first
    const field = fields.find((name) => name === key)
    if (field !== undefined && found[field] === undefined) found[field] = issue.message
  }
  return found
}

const maxFileBytes = 2 * 1024 * 1024

export const NewJob = () => {
  const api = useApi()
  const [seed, setSeed] = useState("")
  const [goal, setGoal] = useState("")
  const [tier, setTier] = useState<Tier>("small")
  const [days, setDays] = useState("30")
  const [enrich, setEnrich] = useState(true)
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({})
  const [banner, setBanner] = useState<string | null>(null)
  const [busy, setBusy] = useState<"submit" | "draft" | null>(null)
  const { loaded: config } = useLoad(() => api((client) => client.system.config()), "config")
  const maxSeed = config.state === "ok" ? config.value.max_seed_chars : null
  const demo = config.state === "ok" && config.value.demo_mode

  const readFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0]
    if (file === undefined) return
    if (file.size > maxFileBytes) {
      setErrors((current) => ({ ...current, seed_text: `${file.name} is larger than 2 MiB` }))
      return
    }
    setSeed(await file.text())
    setErrors((current) => {
      const { seed_text: _, ...rest } = current
      return rest
    })
  }

  const input = () => ({
    seed_text: seed,
    goal,
    tier,
    enrich_web: enrich,
    forecast_days: days.trim() === "" ? undefined : Number(days)
  })

  const showFailure = (failure: Failure) => {
    if (failure.kind === "invalid") {
      const named: Partial<Record<Field, string>> = {}
      for (const field of fields) {
        const message = failure.fields[field]
        if (message !== undefined) named[field] = message
      }
      setErrors(named)
      const unnamed = Object.keys(failure.fields).filter((field) => !fields.some((known) => known === field))
      setBanner(Object.keys(named).length > 0 && unnamed.length === 0 ? null : failure.message)
    } else {
      setBanner(failure.message)
    }
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBanner(null)
    const local = localErrors(input())
    setErrors(local)
    if (Object.keys(local).length > 0) return
    const payload = Schema.decodeUnknownSync(JobCreate)(input())
    setBusy("submit")
    const outcome = await api((client) => client.jobs.create({ payload, headers: {} }))
    setBusy(null)
    if (outcome.ok) navigate(`/jobs/${outcome.value.id}`)
    else showFailure(outcome.failure)
  }

  const saveDraft = async () => {
    setBanner(null)
    setErrors({})
    const forecast = Number(days)
    const payload: DraftCreate = {
      enrich_web: enrich,
      ...(seed === "" ? {} : { seed_text: seed }),
      ...(goal === "" ? {} : { goal }),
      tier,
      ...(days.trim() === "" || !Number.isInteger(forecast) ? {} : { forecast_days: forecast })
    }
    setBusy("draft")
    const outcome = await api((client) => client.drafts.create({ payload }))
    setBusy(null)
    if (outcome.ok) navigate(`/jobs/${outcome.value.id}`)
    else showFailure(outcome.failure)
  }

  const error = (field: Field) => (
    <p className="field-error" data-testid={`error-${field}`} role={errors[field] === undefined ? undefined : "alert"}>
      {errors[field] ?? ""}
    </p>
  )

  return (
    <main className="page narrow">
      <h1>New job</h1>
      {demo && <p className="banner">This is a read-only demo: jobs cannot be started here.</p>}
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        {banner !== null && <p className="banner error" role="alert" data-testid="form-error">{banner}</p>}
        <div className="field">
          <div className="field-label">
            <label htmlFor="seed">Seed document</label>
            <label className="file-pick" title="Read the seed from a Markdown or text file">
              <input data-testid="form-seed-file" type="file" accept=".md,.markdown,.txt,text/plain,text/markdown"
                onChange={(event) => void readFile(event)} />
              <span>Upload .md / .txt</span>
            </label>
          </div>
          <textarea id="seed" data-testid="form-seed" rows={10} value={seed} onChange={(event) => setSeed(event.target.value)}
            placeholder="Paste the situation to simulate: who is involved, what is at stake, what happened so far."
            aria-invalid={errors.seed_text !== undefined} />
          <p className="hint">{[...seed].length.toLocaleString()}{maxSeed === null ? "" : ` / ${maxSeed.toLocaleString()}`} characters</p>
          {error("seed_text")}
        </div>
        <div className="field">
          <label htmlFor="goal">Prediction goal</label>
          <input id="goal" data-testid="form-goal" value={goal} onChange={(event) => setGoal(event.target.value)}
            placeholder="Will the council approve the tram line?" aria-invalid={errors.goal !== undefined} />
          {error("goal")}
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor="tier">Tier</label>
            <select id="tier" data-testid="form-tier" value={tier}
              onChange={(event) => setTier(Tier.literals.find((value) => value === event.target.value) ?? "small")}>
              {Tier.literals.map((value) => <option key={value} value={value}>{value}</option>)}
            </select>
            {error("tier")}
          </div>
          <div className="field">
            <label htmlFor="days">Forecast days</label>
            <input id="days" data-testid="form-forecast-days" type="number" min={1} max={365} value={days}
              onChange={(event) => setDays(event.target.value)} aria-invalid={errors.forecast_days !== undefined} />
            {error("forecast_days")}
          </div>
        </div>
        <label className="check">
          <input data-testid="form-enrich" type="checkbox" checked={enrich} onChange={(event) => setEnrich(event.target.checked)} />
          <span>Enrich the seed with web and X search before simulating</span>
        </label>
        <div className="form-actions">
          <button type="button" className="button" data-testid="form-save-draft" disabled={busy !== null}
            title="Save as a draft: nothing runs until you launch it" onClick={() => void saveDraft()}>
            {busy === "draft" ? "Saving…" : "Save as draft"}
          </button>
          <button type="submit" className="button primary" data-testid="form-submit" disabled={busy !== null}
            title="Create the job and start its simulation now">
            {busy === "submit" ? "Submitting…" : "Submit job"}
          </button>
        </div>
      </form>
    </main>
  )
}
