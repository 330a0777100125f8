/**
 * The names of the worker's pipeline stages (`pipeline_stage`, the `stage` event): what a reader sees instead of
 * the number. The numbers are inferred from the pod's log (`src/lifecycle/signals/log-lines.ts`).
 */
const stageNames = [
  "waiting for the pod",
  "generating the ontology",
  "building the entity graph",
  "running the simulation",
  "preparing the artifacts",
  "writing the report"
] as const

/** The stage's name, or `stage N` for a number this build does not know. */
export const stageName = (stage: number): string => stageNames[stage] ?? `stage ${stage}`
