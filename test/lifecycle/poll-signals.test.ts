import { assert, describe, it } from "@effect/vitest"
import type { Tier } from "../../src/domain/tier.ts"
import {
  fatalVllmMarker,
  inferStage,
  initialPollState,
  liveStatus,
  liveStatusChanged,
  observeLogs,
  observeStatus,
  observeStatusFailure,
  type PollState,
  type PollStep,
  recoveryOf,
  roundsIn,
  wantsPartialChat
} from "../../src/lifecycle/poll-signals.ts"

const T0 = 1_780_000_000_000
/** Epoch ms, `s` seconds after T0. */
const at = (s: number) => T0 + s * 1000

const running = { status: "running" } as const
const roundLine = (n: number, total = 15) => `[pipeline] round=${n}/${total} posts=12 actions=40`
const llmOk = "[pipeline] llm.chat ok latency=1.2s"
const llmError = "[pipeline] llm.chat transient error attempt=1 ConnectionResetError"
const lines = (n: number, line: string) => Array.from({ length: n }, () => line)

/** Feeds log batches `[seconds, lines]` in order; returns every step. */
const feedLogs = (state: PollState, batches: ReadonlyArray<readonly [number, ReadonlyArray<string>]>) => {
  const steps: Array<PollStep> = []
  for (const [s, batch] of batches) {
    const step = observeLogs(state, at(s), batch)
    steps.push(step)
    state = step.state
  }
  return { steps, state, last: steps[steps.length - 1]! }
}

/** A new maximum round every `every` seconds starting at `from`, rounds 1..n. */
const roundsEvery = (n: number, every: number, from = 0) =>
  Array.from({ length: n }, (_, i) => [from + i * every, [roundLine(i + 1)]] as const)

const messageOf = (step: PollStep) => step.verdict?.message

describe("fatal vLLM markers (health wait)", () => {
  it("names the first terminal marker in line order and ignores a vLLM that is still loading", () => {
    assert.strictEqual(
      fatalVllmMarker([
        "[vllm] INFO Loading model weights",
        "[vllm] ERROR Failed to initialize NCCL: unhandled system error",
        "[vllm] RuntimeError: CUDA driver initialization failed, you might not have a CUDA gpu."
      ]),
      "Failed to initialize NCCL"
    )
    assert.strictEqual(fatalVllmMarker(["RuntimeError: Engine core initialization failed. See root cause above."]),
      "Engine core initialization failed")
    assert.strictEqual(fatalVllmMarker(["RuntimeError: no CUDA-capable device is detected"]), "no CUDA-capable device")
    assert.isUndefined(fatalVllmMarker(["[vllm] INFO Loading model weights took 41.2 GB", "waiting_for_vllm"]))
    assert.isUndefined(fatalVllmMarker([]))
  })
})

describe("stage inference", () => {
  it("maps each pod log marker to its stage", () => {
    assert.strictEqual(inferStage(["[stage] Generating ontology"]), 1)
    assert.strictEqual(inferStage(["[stage] Building entity graph"]), 2)
    assert.strictEqual(inferStage(["[stage] Running simulation"]), 3)
    assert.strictEqual(inferStage([roundLine(4)]), 3)
    assert.strictEqual(inferStage(["[stage] preparing sim data artifacts"]), 4)
    assert.strictEqual(inferStage(['{"status": "done", "report_pending": true}']), 5)
    assert.isUndefined(inferStage(["[pipeline] loading seed", "Round 7 done"]), "`Round 7` is not `round=`")
  })

  it("checks later stages first within one batch, and `report` in any case", () => {
    assert.strictEqual(inferStage(["[stage] Generating ontology", "[stage] Building entity graph"]), 2)
    assert.strictEqual(inferStage([roundLine(15), "[stage] preparing sim data artifacts"]), 4)
    assert.strictEqual(inferStage(["[stage] preparing sim data artifacts", roundLine(15), "Final REPORT queued"]), 5)
  })

  it("the poll loop reports a stage only when it changes", () => {
    const { steps } = feedLogs(initialPollState("small", at(0)), [
      [0, ["[stage] Generating ontology"]],
      [20, ["[stage] Generating ontology", "entities: 40 extracted so far"]],
      [40, ["[stage] Building entity graph"]],
      [60, ["no marker in this batch at all"]],
      [80, ["[stage] Running simulation", roundLine(1)]]
    ])
    assert.deepStrictEqual(steps.map((step) => step.stageChanged), [1, undefined, 2, undefined, 3])
  })
})

describe("live status", () => {
  it("shows the last 3 meaningful lines: no HTTP access noise, blank or short lines", () => {
    const status = liveStatus([
      "[stage] Running simulation",
      "10.0.0.1 - - GET /status HTTP/1.1 200",
      "   ",
      "ok",
      roundLine(11),
      "10.0.0.1 - - POST /job HTTP/1.1 409",
      "HEAD / HTTP/1.1 200",
      "OPTIONS /logs 204",
      "   " + roundLine(12) + "  ",
      "short one"
    ], { nowMs: at(0) + 999 })
    assert.deepStrictEqual(status.log_lines, ["[stage] Running simulation", roundLine(11), roundLine(12)])
    assert.strictEqual(status.updated_at, Math.floor(T0 / 1000), "epoch seconds")
  })

  it("parses `round=12/15`, `Round 7` and `round 3`, keeping the batch maximum and the total", () => {
    assert.deepStrictEqual(roundsIn(["round=12/15"]), { round: 12, total: 15 })
    assert.deepStrictEqual(roundsIn(["Round 7 finished"]), { round: 7, total: undefined })
    assert.deepStrictEqual(roundsIn(["starting round 3"]), { round: 3, total: undefined })
    assert.deepStrictEqual(roundsIn(["around 90 agents", "background 5"]), { round: undefined, total: undefined })
    const status = liveStatus(["round 3 started here", "Round 7 started here", "round=5/15 catching up"], {
      nowMs: at(0)
    })
    assert.strictEqual(status.round, 7)
    assert.strictEqual(status.max_rounds, 15, "from the log when the caller has none")
    assert.strictEqual(liveStatus(["round=5/15 catching up"], { nowMs: at(0), maxRounds: 40 }).max_rounds, 40)
  })

  it("is written only when the round, the shown lines or the number of posts change", () => {
    const first = liveStatus([roundLine(3)], { nowMs: at(0), recentPosts: [{ id: 1 }] })
    const later = liveStatus([roundLine(3)], { nowMs: at(20), recentPosts: [{ id: 2 }] })
    assert.isTrue(liveStatusChanged(undefined, first))
    assert.isFalse(liveStatusChanged(first, later), "only updated_at and post contents differ")
    assert.isTrue(liveStatusChanged(first, liveStatus([roundLine(4)], { nowMs: at(20), recentPosts: [{}] })))
    assert.isTrue(liveStatusChanged(first, liveStatus([roundLine(3)], { nowMs: at(20), recentPosts: [{}, {}] })))
    assert.isTrue(liveStatusChanged(first, liveStatus([roundLine(3), "agent 12 posted a reply"], {
      nowMs: at(20),
      recentPosts: [{}]
    })))
  })

  it("the poll loop hands out a live status only when it changed, and keeps the round through a quiet batch", () => {
    const posts = [{ author: "a", text: "hi" }]
    let state = initialPollState("small", at(0), 1, 15)
    assert.isFalse(wantsPartialChat(state, ["[stage] Building entity graph"]))
    assert.isTrue(wantsPartialChat(state, [roundLine(1)]))

    const first = observeLogs(state, at(0), [roundLine(1)], posts)
    assert.deepStrictEqual(first.liveStatus, {
      round: 1,
      max_rounds: 15,
      log_lines: [roundLine(1)],
      recent_posts: posts,
      updated_at: Math.floor(T0 / 1000)
    })
    state = first.state
    assert.isUndefined(observeLogs(state, at(20), [roundLine(1)], posts).liveStatus)
    const quiet = observeLogs(state, at(40), ["GET /status 200"], posts)
    assert.isUndefined(quiet.liveStatus, "nothing new to show: the round and lines stay as they were")
  })
})

describe("circuit breaker (60 s window, >= 10 lines, error ratio > 0.7)", () => {
  it("exactly 10 lines at a ratio of 0.7 does not trip", () => {
    const step = observeLogs(initialPollState("small", at(0)), at(0), [...lines(7, llmError), ...lines(3, llmOk)])
    assert.isUndefined(step.verdict)
  })

  it("a ratio of 0.71 trips with the llm_circuit_broken marker, so the workflow swaps the pod", () => {
    const { last, steps } = feedLogs(initialPollState("small", at(0)), [
      [0, [...lines(14, llmError), ...lines(6, llmOk)]],
      [20, [...lines(14, llmError), ...lines(6, llmOk)]],
      [40, [...lines(14, llmError), ...lines(6, llmOk)]],
      [50, [...lines(14, llmError), ...lines(6, llmOk)]],
      [60, [...lines(15, llmError), ...lines(5, llmOk)]]
    ])
    assert.isUndefined(steps[3]!.verdict, "56 of 80 = 0.7 exactly")
    assert.strictEqual(last.verdict?._tag, "CircuitBroken")
    assert.strictEqual(
      messageOf(last),
      "llm_circuit_broken: 71 of 100 LLM log lines were transient errors (71%) in the last 60s " +
        "(threshold > 70% of >= 10 lines)"
    )
    assert.strictEqual(recoveryOf(last.verdict!), "swap-pod")
    assert.isUndefined(last.stageChanged, "a broken pod's batch is not used for stage or live status")
    assert.isUndefined(last.liveStatus)
  })

  it("does not trip below 10 lines, at 0 errors or at a 20% error rate; 90% trips", () => {
    const fresh = () => initialPollState("medium", at(0))
    assert.isUndefined(observeLogs(fresh(), at(0), lines(9, llmError)).verdict, "9 lines, all errors")
    assert.isUndefined(observeLogs(fresh(), at(0), lines(20, llmOk)).verdict)
    assert.isUndefined(observeLogs(fresh(), at(0), [...lines(4, llmError), ...lines(16, llmOk)]).verdict)
    assert.strictEqual(observeLogs(fresh(), at(0), [...lines(18, llmError), ...lines(2, llmOk)]).verdict?._tag,
      "CircuitBroken")
  })

  it("counts `round=N` lines as LLM activity and drops samples older than 60 s", () => {
    const start = initialPollState("small", at(0))
    const early: readonly [number, ReadonlyArray<string>] = [0, lines(6, llmError)]
    const late = lines(4, llmError)
    assert.isUndefined(feedLogs(start, [early, [61, late]]).last.verdict, "the 61 s old sample is gone: 4 lines")
    assert.strictEqual(feedLogs(start, [early, [60, late]]).last.verdict?._tag, "CircuitBroken", "60 s is in")
    assert.isUndefined(
      feedLogs(start, [[0, lines(7, llmError)], [10, [roundLine(1), roundLine(2), roundLine(3)]]]).last.verdict,
      "7 errors of 10 lines once the round lines count"
    )
  })
})

describe("slow-pod detector (1200 s window, Δround >= 4, tier minimum rounds/min)", () => {
  it("trips on a sustained low rate before the stuck watchdog would, with the numbers in the message", () => {
    let state = initialPollState("small", at(0))
    let verdict: PollStep["verdict"]
    for (const [s, batch] of roundsEvery(5, 250)) {
      const status = observeStatus(state, at(s), running)
      assert.isUndefined(status.verdict, `t=${s}s: a round every 250 s never looks stuck on small (300 s)`)
      const step = observeLogs(status.state, at(s), batch)
      state = step.state
      verdict = step.verdict
    }
    assert.strictEqual(verdict?._tag, "SlowPod")
    assert.strictEqual(verdict?.message, "slow_pod: 0.24 rounds/min over ~1000s (round 1→5, tier=small, threshold=0.3)")
    assert.strictEqual(recoveryOf(verdict!), "swap-pod")
  })

  it("is not evaluated before the round advanced by 4", () => {
    const { steps } = feedLogs(initialPollState("small", at(0)), roundsEvery(4, 390))
    assert.deepStrictEqual(steps.map(messageOf), [undefined, undefined, undefined, undefined], "0.15 rounds/min")
  })

  it("a rate exactly at the tier minimum does not trip; just below it does", () => {
    const exactly = feedLogs(initialPollState("small", at(0)), roundsEvery(5, 200))
    assert.isUndefined(exactly.last.verdict, "4 rounds in 800 s = 0.3 rounds/min")
    const below = feedLogs(initialPollState("small", at(0)), [...roundsEvery(4, 200), [801, [roundLine(5)]]])
    assert.strictEqual(below.last.verdict?._tag, "SlowPod")
  })

  it("tier minimums differ: 0.35 rounds/min passes on small and medium, trips on large", () => {
    const batches = [[0, [roundLine(1)]], [1200, [roundLine(8)]]] as const
    assert.isUndefined(feedLogs(initialPollState("small", at(0)), batches).last.verdict)
    assert.isUndefined(feedLogs(initialPollState("medium", at(0)), batches).last.verdict)
    assert.strictEqual(
      messageOf(feedLogs(initialPollState("large", at(0)), batches).last),
      "slow_pod: 0.35 rounds/min over ~1200s (round 1→8, tier=large, threshold=0.4)"
    )
  })

  it("a healthy pod never trips, and samples older than 1200 s no longer count", () => {
    const healthy = feedLogs(initialPollState("large", at(0)), roundsEvery(40, 60)).steps
    assert.isTrue(healthy.every((step) => step.verdict === undefined), "1 round/min")
    const edge = [[0, [roundLine(1)]], [1200, [roundLine(5)]]] as const
    assert.strictEqual(feedLogs(initialPollState("small", at(0)), edge).last.verdict?._tag, "SlowPod")
    const past = [[0, [roundLine(1)]], [1201, [roundLine(5)]]] as const
    assert.isUndefined(feedLogs(initialPollState("small", at(0)), past).last.verdict, "round 1 left the window")
  })

  it("the slow-pod trip still hands out the stage and live status of its batch", () => {
    const { last } = feedLogs(initialPollState("large", at(0)), [[0, [roundLine(1)]], [1200, [roundLine(8)]]])
    assert.strictEqual(last.verdict?._tag, "SlowPod")
    assert.strictEqual(last.liveStatus?.round, 8)
  })
})

describe("stuck watchdog (no new maximum round for 300/600/900 s)", () => {
  it("is not armed before a round > 0 was seen", () => {
    let state = feedLogs(initialPollState("medium", at(0)), [[0, ["[stage] Building entity graph", roundLine(0)]]])
      .state
    for (const s of [300, 601, 3000, 17_990]) {
      const step = observeStatus(state, at(s), running)
      assert.isUndefined(step.verdict, `t=${s}s`)
      state = step.state
    }
  })

  it("is measured from the last new maximum round, not from the last log line", () => {
    const { state } = feedLogs(initialPollState("medium", at(0)), [
      [100, [roundLine(4)]],
      [100, [roundLine(5)]],
      [300, [roundLine(5), "agent 3 is thinking about it"]],
      [650, [roundLine(2), roundLine(5)]]
    ])
    assert.isUndefined(observeStatus(state, at(700), running).verdict, "exactly 600 s since round 5")
    const step = observeStatus(state, at(701), running)
    assert.strictEqual(step.verdict?._tag, "Stuck")
    assert.strictEqual(
      messageOf(step),
      "Sim stuck: no round progress for 601s at round 5 (tier=medium, threshold=600s)"
    )
    assert.strictEqual(recoveryOf(step.verdict!), "fail")
  })

  it("progressing rounds never trip it, and large tolerates more than small", () => {
    let state = initialPollState("small", at(0))
    for (const [s, batch] of roundsEvery(13, 200)) {
      const logs = observeLogs(state, at(s), batch)
      assert.isUndefined(logs.verdict)
      const step = observeStatus(logs.state, at(s + 199), running)
      assert.isUndefined(step.verdict, `199 s after round ${logs.state.maxRound}`)
      state = step.state
    }
    const pinned = (tier: Tier) =>
      observeStatus(feedLogs(initialPollState(tier, at(0)), [[0, [roundLine(9)]]]).state, at(700), running)
    assert.strictEqual(
      messageOf(pinned("small")),
      "Sim stuck: no round progress for 700s at round 9 (tier=small, threshold=300s)"
    )
    assert.isUndefined(pinned("large").verdict)
  })

  it("does not count a stretch the pod could not be read: quiet is measured again from the first good read after it", () => {
    let state = feedLogs(initialPollState("small", at(0)), [[0, [roundLine(3)]]]).state
    for (const s of [100, 200, 400]) state = observeStatusFailure(state, at(s)).state
    const back = observeStatus(state, at(401), running)
    assert.isUndefined(back.verdict, "401 s since round 3, but 400 of them unwatched")
    assert.isUndefined(observeStatus(back.state, at(700), running).verdict)
    assert.strictEqual(observeStatus(back.state, at(702), running).verdict?._tag, "Stuck", "301 s of watched quiet")
  })
})

describe("consecutive /status failures (30)", () => {
  const fail = (state: PollState, count: number, fromSeconds: number) => {
    let step: PollStep = { state }
    for (let i = 1; i <= count; i++) step = observeStatusFailure(step.state, at(fromSeconds + i * 10))
    return step
  }

  it("29 failures then a success reset the count; the 30th in a row trips pod_unreachable", () => {
    const start = initialPollState("small", at(0))
    const almost = fail(start, 29, 0)
    assert.isUndefined(almost.verdict)
    const ok = observeStatus(almost.state, at(300), running)
    assert.isUndefined(ok.verdict)
    assert.isUndefined(fail(ok.state, 29, 300).verdict, "counting restarts after the success")
    const tripped = fail(start, 30, 0)
    assert.strictEqual(tripped.verdict?._tag, "Unreachable")
    assert.strictEqual(messageOf(tripped), "pod_unreachable: 30 consecutive /status poll failures (~300s)")
    assert.strictEqual(recoveryOf(tripped.verdict!), "retry-same-pod")
  })

  it("alternating failures never trip", () => {
    let state = initialPollState("large", at(0))
    for (let i = 1; i <= 200; i++) {
      const step = i % 2 === 0 ? observeStatus(state, at(i * 10), running) : observeStatusFailure(state, at(i * 10))
      assert.isUndefined(step.verdict, `poll ${i}`)
      state = step.state
    }
  })
})

describe("tier timeout (2700/18000/43200 s)", () => {
  it("fails the job once started-at + tier timeout has passed, whether the pod answers or not", () => {
    const start = initialPollState("small", at(0))
    assert.isUndefined(observeStatus(start, at(2700), running).verdict)
    const late = observeStatus(start, at(2701), running)
    assert.strictEqual(late.verdict?._tag, "TimedOut")
    assert.strictEqual(messageOf(late), "Pipeline did not complete within 2700s")
    assert.strictEqual(messageOf(observeStatusFailure(start, at(2701))), "Pipeline did not complete within 2700s")
    assert.isUndefined(observeStatus(initialPollState("medium", at(0)), at(17_000), running).verdict)
    assert.strictEqual(messageOf(observeStatus(initialPollState("large", at(0)), at(43_201), running)),
      "Pipeline did not complete within 43200s")
  })
})

describe("status reads", () => {
  it("signals the first `running` once, and reads logs on the 1st, 3rd, 5th... poll, failed ones counted", () => {
    let state = initialPollState("small", at(0))
    const seen: Array<string> = []
    const polls = ["idle", "running", "fail", "running", "running"] as const
    polls.forEach((poll, i) => {
      const step = poll === "fail"
        ? observeStatusFailure(state, at(10 * (i + 1)))
        : observeStatus(state, at(10 * (i + 1)), { status: poll })
      seen.push(`${poll}${step.firstRunning ? "+running" : ""}${step.readLogs ? "+logs" : ""}`)
      state = step.state
    })
    assert.deepStrictEqual(seen, ["idle+logs", "running+running", "fail", "running", "running+logs"])
  })

  it("`completed` ends the loop even past the watchdogs; `failed` fails with the worker's first error line", () => {
    const pinned = feedLogs(initialPollState("small", at(0)), [[0, [roundLine(15)]]]).state
    const done = observeStatus(pinned, at(3000), { status: "completed" })
    assert.isTrue(done.completed)
    assert.isUndefined(done.verdict)
    const failed = observeStatus(pinned, at(30), {
      status: "failed",
      error: `CUDA out of memory. ${"x".repeat(300)}\nTraceback (most recent call last):`
    })
    assert.strictEqual(failed.verdict?._tag, "WorkerFailed")
    assert.strictEqual(messageOf(failed), `Worker pipeline failed: CUDA out of memory. ${"x".repeat(180)}`)
    assert.strictEqual(messageOf(observeStatus(pinned, at(30), { status: "failed" })),
      "Worker pipeline failed: (no error given)")
  })
})

describe("time scale", () => {
  it("scale 0.001 shrinks every duration threshold, not the counts; the stuck threshold not below its real-time floor", () => {
    const start = (tier: Tier) => initialPollState(tier, T0, 0.001)
    const pinned = feedLogs(start("small"), [[0, [roundLine(3)]]]).state
    assert.isUndefined(observeStatus(pinned, T0 + 2000, running).verdict, "0.3 s scaled, but 2 s at least: a loaded event loop lags more than 0.3 s")
    assert.strictEqual(messageOf(observeStatus(pinned, T0 + 2001, running)),
      "Sim stuck: no round progress for 2.001s at round 3 (tier=small, threshold=2s)")
    assert.strictEqual(messageOf(observeStatus(start("small"), T0 + 2701, running)),
      "Pipeline did not complete within 2.7s")
    const breakerIn = (ms: number) => {
      const first = observeLogs(start("small"), T0, lines(6, llmError)).state
      return observeLogs(first, T0 + ms, lines(4, llmError)).verdict?._tag
    }
    assert.strictEqual(breakerIn(60), "CircuitBroken")
    assert.isUndefined(breakerIn(61), "a 60 ms window")
    const slow = feedLogs(start("small"), [[0, [roundLine(1)]], [1, [roundLine(5)]]]).last
    assert.strictEqual(messageOf(slow), "slow_pod: 0.24 rounds/min over ~1s (round 1→5, tier=small, threshold=0.3)")
    let failures: PollStep = { state: start("large") }
    for (let i = 1; i <= 30; i++) failures = observeStatusFailure(failures.state, T0 + i * 10)
    assert.strictEqual(failures.verdict?._tag, "Unreachable", "still 30 failures")
  })
})
