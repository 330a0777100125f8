/**
 * The start-up warning of a service reachable from the network over plain HTTP (`PlainHttpNotice`, src/server.ts):
 * one WARN line when HOST is not a loopback address and PUBLIC_URL is not https, none otherwise.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option } from "effect"
import { type ServiceConfig, SettingsWith } from "../../src/config.ts"
import { PlainHttpNotice } from "../../src/server.ts"

interface Line {
  readonly level: string
  readonly text: string
}

/** The lines `PlainHttpNotice` logs at start with these settings. */
const startLines = (overrides: Partial<ServiceConfig>) =>
  Effect.gen(function*() {
    const lines: Array<Line> = []
    const capture = Logger.layer([Logger.make((options) => {
      const message = Array.isArray(options.message) ? options.message : [options.message]
      lines.push({ level: options.logLevel, text: message.map(String).join(" ") })
    })])
    yield* Layer.build(PlainHttpNotice.pipe(Layer.provide(SettingsWith({ port: 8080, ...overrides })), Layer.provide(capture)))
    return lines
  })

describe("the plain-HTTP bind warning", () => {
  it.effect("binding every interface without TLS in front logs one WARN line saying what is exposed and what to do", () =>
    Effect.gen(function*() {
      for (const host of ["0.0.0.0", "::", "192.168.1.20", "203.0.113.7", "fish.internal"]) {
        for (const publicUrl of [Option.none<string>(), Option.some("http://fish.example")]) {
          const lines = yield* startLines({ host, publicUrl })
          assert.strictEqual(lines.length, 1, `${host} ${Option.getOrElse(publicUrl, () => "(no PUBLIC_URL)")}`)
          const [line] = lines
          assert.strictEqual(line!.level, "Warn")
          assert.include(line!.text, `HOST=${host}`)
          assert.include(line!.text, "plain HTTP", "says what is wrong")
          assert.include(line!.text, "tokens", "says what is exposed")
          assert.include(line!.text, "Put TLS in front", "says what to do")
          assert.include(line!.text, "PUBLIC_URL=https://")
        }
      }
    }))

  it.effect("a loopback address, or https in PUBLIC_URL (TLS in front), logs nothing", () =>
    Effect.gen(function*() {
      for (const host of ["127.0.0.1", "::1", "localhost"]) {
        assert.deepStrictEqual(yield* startLines({ host, publicUrl: Option.none() }), [], host)
      }
      assert.deepStrictEqual(yield* startLines({ host: "0.0.0.0", publicUrl: Option.some("https://fish.example") }), [])
    }))
})
