/**
 * The rooms of fishcloud and the rules between them (docs/architecture.md explains them). `npm test` runs
 * `npm run lint:deps`, so a forbidden import fails the run with the rule's name and comment.
 */
/** Composition roots: the only places that pick implementations and wire Layers. */
const roots = "^src/(main|server)[.]ts$|^src/roles/|^src/cli/commands/(serve|migrate|tokens|maintenance|doctor|sign-in)[.]ts$|^src/cli/doctor/"

module.exports = {
  forbidden: [
    {
      name: "domain-is-pure",
      comment: "src/domain holds pure data and rules: it may import only itself and effect (no SQL, no metrics, no I/O).",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { pathNot: ["^src/domain/", "^node_modules/effect/"], dependencyTypesNot: ["type-only"] }
    },
    {
      name: "domain-has-no-sql",
      comment: "src/domain holds pure data and rules: SQL belongs in layers/db.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^node_modules/(effect/dist/sql|@effect/sql-pg)/" }
    },
    {
      name: "services-import-only-the-domain",
      comment: "services/ declares what can be swapped (tags, interfaces, errors); it may import only the domain.",
      severity: "error",
      from: { path: "^services/" },
      to: { path: "^(src/(?!domain/)|layers/|migrations/)" }
    },
    {
      name: "layers-never-reach-up",
      comment: "A layer implements a service: it may import services, the domain, config, metrics and migrations, never the API, the lifecycle, the CLI or the pod worker.",
      severity: "error",
      from: { path: "^layers/" },
      to: { path: "^src/(api|lifecycle|cli|pod-worker|roles)/|^src/(server|main)[.]ts$" }
    },
    {
      name: "api-not-into-lifecycle",
      comment: "The API starts and cancels jobs through the JobLifecycle service; it does not import the lifecycle's internals.",
      severity: "error",
      from: { path: "^src/api/" },
      to: { path: "^src/lifecycle/" }
    },
    {
      name: "only-roots-wire-layers",
      comment: "Only the composition roots import layers; everything else (the lifecycle, the API, the CLI) asks services.",
      severity: "error",
      from: { path: "^src/", pathNot: roots },
      to: { path: "^layers/" }
    },
    {
      name: "sql-only-in-layers-db",
      comment: "All SQL lives in layers/db behind services (the cluster engine's storage and the roots excepted).",
      severity: "error",
      from: { path: "^(src|services|layers)/", pathNot: `^layers/db/|^layers/lifecycle/workflow-engine[.]ts$|${roots}` },
      to: { path: "^node_modules/(effect/dist/sql|@effect/sql-pg)/", dependencyTypesNot: ["type-only"] }
    },
    {
      name: "dashboard-only-through-the-api-definition",
      comment: "The dashboard (browser code) talks to the service only through the HttpApi definition's client: it may import itself, src/domain, src/api/definition.ts and what that imports (api-errors, security, version), and npm packages; never the server, the layers or Node built-ins.",
      severity: "error",
      from: { path: "^dashboard/" },
      to: {
        pathNot: [
          "^dashboard/",
          "^src/domain/",
          "^src/api/(definition|api-errors|security)[.]ts$",
          "^src/version[.]ts$",
          "^package[.]json$",
          "^node_modules/"
        ]
      }
    },
    {
      name: "no-circular",
      comment: "A cycle makes two modules one: merge them or cut the loop.",
      severity: "error",
      from: {},
      to: { circular: true }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".d.ts"]
    },
    reporterOptions: { text: { highlightFocused: true } }
  }
}
