/** `routing list` and `routing set TIER ...`: what model, GPU and size each tier runs on. */
import { Console, Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ModelRouting } from "../../domain/job.ts"
import { Tier } from "../../domain/tier.ts"
import { ApiLive, request } from "../api-client.ts"
import { jsonText, routingTable } from "../format.ts"
import { JsonFlag } from "../json-flag.ts"

const list = Command.make(
  "list",
  { json: JsonFlag },
  Effect.fn("cli.routing.list")(function*({ json }) {
    const rows = yield* request((client) => client.routing.list())
    yield* Console.log(json ? yield* jsonText(Schema.Array(ModelRouting), rows) : routingTable(rows))
  })
).pipe(Command.withDescription("Show the model routing of every tier"), Command.provide(ApiLive))

const set = Command.make(
  "set",
  {
    tier: Argument.Literals("tier", Tier.literals).pipe(Argument.withDescription("Tier to configure")),
    model: Flag.String("model").pipe(
      Flag.withDescription("Model id served by vLLM"),
      Flag.withSchema(ModelRouting.fields.model_id)
    ),
    gpu: Flag.String("gpu").pipe(Flag.withDescription("GPU type to rent"), Flag.withSchema(ModelRouting.fields.gpu_type)),
    maxRounds: Flag.Int("max-rounds").pipe(
      Flag.withDescription("Simulation rounds (1 to 10000)"),
      Flag.withSchema(ModelRouting.fields.max_rounds)
    ),
    agents: Flag.Int("agents").pipe(
      Flag.withDescription("Number of agents (1 to 1000)"),
      Flag.withSchema(ModelRouting.fields.target_agents)
    ),
    vllmArgs: Flag.String("vllm-args").pipe(
      Flag.withDescription('Extra vLLM arguments; write --vllm-args="--opt value" when they start with --'),
      Flag.optional
    )
  },
  Effect.fn("cli.routing.set")(function*({ tier, model, gpu, maxRounds, agents, vllmArgs }) {
    const row = yield* request((client) =>
      client.routing.set({
        params: { tier },
        payload: {
          model_id: model,
          gpu_type: gpu,
          max_rounds: maxRounds,
          target_agents: agents,
          vllm_args: Option.getOrNull(vllmArgs)
        }
      })
    )
    yield* Console.log(routingTable([row]))
  })
).pipe(Command.withDescription("Set what a tier runs on (administrators)"), Command.provide(ApiLive))

export const routing = Command.make("routing").pipe(
  Command.withDescription("Model routing per tier"),
  Command.withSubcommands([list, set])
)
