/**
 * Readers for the deployment files, for `test/deploy/deploy-files.test.ts` (nothing here runs Docker): the
 * variables the code reads (from the config modules' source), `.env.example`'s entries and the settings table
 * docs/operations.md is made from, a reader of the YAML subset `deploy/compose.yml` keeps to, the Dockerfile's
 * instructions, and the runtime import graph from an entry point (which packages and folders a process loads).
 * No new dependency: the compose file is read by `readYamlSubset`, an indentation-based reader of block mappings,
 * sequences of one-line scalars, flow sequences written as JSON, `{}`, `&anchor` on a mapping, `*alias` values and
 * `<<: *alias` merges. Anything else fails the test naming the line, so the file cannot drift outside the subset.
 */
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import { assert } from "@effect/vitest"

const repoRoot = NodePath.resolve(import.meta.dirname, "../..")
export const readRepoFile = (path: string) => Fs.readFileSync(NodePath.join(repoRoot, path), "utf8")

/** Every `.ts` file under the given folders of the repository. */
const sourceFiles = (folders: ReadonlyArray<string>): Array<string> =>
  folders.flatMap((folder) =>
    (Fs.readdirSync(NodePath.join(repoRoot, folder), { recursive: true, encoding: "utf8" }))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => NodePath.join(folder, file))
  ).sort()

/**
 * How the code names an environment variable: the first argument of a `Config.Xxx("NAME")` constructor or of one of
 * the shared helpers (`boundedInt`, `httpUrl`, `secret`, `optionalSecret` in src/config.ts; the pod worker's
 * `baseUrl`, `positiveDuration`), or the last argument of `Config.schema(schema, "NAME")` / `Config.Literals([...],
 * "NAME")`; and a direct `process.env["NAME"]` / `process.env.NAME`.
 */
const firstArgument = /\b(?:Config\.[A-Za-z]+|boundedInt|httpUrl|secret|optionalSecret|baseUrl|positiveDuration)\(\s*"([A-Z][A-Z0-9_]*)"/g
const lastArgument = /,\s*"([A-Z][A-Z0-9_]*)"\s*\)/g
const processEnv = /\bprocess\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*"([A-Z][A-Z0-9_]*)"\s*\])/g
/** Upper-case string literals in config modules that are values, not variable names (RUNPOD_CLOUD_TYPE's pools). */
const knownValues = new Set(["ALL", "SECURE", "COMMUNITY"])

interface ReadVariables {
  /** Variable name -> the files that read it. */
  readonly service: ReadonlyMap<string, ReadonlyArray<string>>
  readonly podWorker: ReadonlyMap<string, ReadonlyArray<string>>
  /** Upper-case string literals of a config module that none of the patterns explains (a helper this file misses). */
  readonly unexplained: ReadonlyArray<string>
}

const podWorkerConfig = "src/pod-worker/pod-worker-config.ts"

/** The variables the service (src, services, layers) and the pod worker read, found in their source. */
export const readVariables = (): ReadVariables => {
  const service = new Map<string, Array<string>>()
  const podWorker = new Map<string, Array<string>>()
  const unexplained: Array<string> = []
  for (const file of sourceFiles(["src", "services", "layers"])) {
    const text = readRepoFile(file)
    const names = new Set<string>()
    for (const match of text.matchAll(processEnv)) names.add((match[1] ?? match[2])!)
    const isConfigModule = /\bConfig\.[A-Za-z]+\(/.test(text)
    if (isConfigModule) {
      for (const match of text.matchAll(firstArgument)) names.add(match[1]!)
      for (const match of text.matchAll(lastArgument)) names.add(match[1]!)
      for (const match of text.matchAll(/"([A-Z][A-Z0-9_]{2,})"/g)) {
        if (!names.has(match[1]!) && !knownValues.has(match[1]!)) unexplained.push(`${file}: "${match[1]}"`)
      }
    }
    const target = file === podWorkerConfig ? podWorker : service
    for (const name of names) target.set(name, [...(target.get(name) ?? []), file])
  }
  return { service, podWorker, unexplained }
}

interface EnvEntry {
  readonly name: string
  /** The default as written (`""` = unset by default). */
  readonly value: string
  /** `# NAME=...`: unset by default (service sections) or set by the provider (the pod worker's section). */
  readonly commented: boolean
  readonly meaning: string
  readonly section: string
  readonly line: number
}

/**
 * `.env.example`: `# === Section ===` headers, and each entry as one comment line of meaning followed by `NAME=value`
 * or `# NAME=value`. Other comment lines are prose.
 */
export const readEnvExample = (text: string): Array<EnvEntry> => {
  const entries: Array<EnvEntry> = []
  let section = ""
  let previousComment = ""
  text.split("\n").forEach((raw, index) => {
    const line = raw.trimEnd()
    const header = /^# === (.+) ===$/.exec(line)
    if (header !== null) {
      section = header[1]!
      previousComment = ""
      return
    }
    const entry = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (entry !== null) {
      entries.push({
        name: entry[2]!,
        value: entry[3]!,
        commented: entry[1] !== undefined,
        meaning: previousComment,
        section,
        line: index + 1
      })
      previousComment = ""
      return
    }
    previousComment = line.startsWith("# ") ? line.slice(2) : ""
  })
  return entries
}

const cell = (text: string) => text.replaceAll("|", "\\|")

/** The settings reference of docs/operations.md, one table per section of `.env.example`. */
export const settingsTable = (entries: ReadonlyArray<EnvEntry>): string => {
  const sections = [...new Set(entries.map((entry) => entry.section))]
  return sections.map((section) => {
    const rows = entries.filter((entry) => entry.section === section).map((entry) =>
      `| \`${entry.name}\` | ${entry.value === "" ? "unset" : `\`${cell(entry.value)}\``} | ${cell(entry.meaning)} |`
    )
    return [`**${section}**`, "", "| variable | default | meaning |", "|---|---|---|", ...rows].join("\n")
  }).join("\n\n")
}

/** What docs/operations.md holds between its settings markers. */
export const settingsMarkers = { start: "<!-- settings:start (generated from .env.example) -->", end: "<!-- settings:end -->" }

// --- the YAML subset of deploy/compose.yml ---------------------------------------------------------------------

export type Yaml = string | ReadonlyArray<Yaml> | { readonly [key: string]: Yaml }

interface YamlLine {
  readonly indent: number
  readonly text: string
  readonly number: number
}

/** The line without its comment: a `#` at the start or after a space, outside quotes. */
const stripComment = (line: string) => {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!
    if (quote !== undefined) {
      if (char === "\\" && quote === "\"") i++
      else if (char === quote) quote = undefined
    } else if (char === "\"" || char === "'") {
      quote = char
    } else if (char === "#" && (i === 0 || line[i - 1] === " ")) {
      return line.slice(0, i)
    }
  }
  return line
}

export const readYamlSubset = (text: string): Yaml => {
  const lines: Array<YamlLine> = text.split("\n").flatMap((raw, index) => {
    const stripped = stripComment(raw).trimEnd()
    if (stripped.trim() === "") return []
    assert.notInclude(stripped, "\t", `compose line ${index + 1}: tabs are outside the subset`)
    return [{ indent: stripped.length - stripped.trimStart().length, text: stripped.trim(), number: index + 1 }]
  })
  const anchors = new Map<string, Yaml>()
  let position = 0

  const scalar = (value: string, line: YamlLine): Yaml => {
    if (value.startsWith("*")) {
      const target = anchors.get(value.slice(1))
      assert.isDefined(target, `compose line ${line.number}: unknown alias ${value}`)
      return target!
    }
    if (value === "{}") return {}
    if (value.startsWith("[")) {
      const parsed: unknown = JSON.parse(value)
      assert.isTrue(Array.isArray(parsed) && parsed.every((item) => typeof item === "string"), `compose line ${line.number}: a flow sequence must be JSON strings`)
      return parsed as Array<string>
    }
    if (value.startsWith("\"")) return JSON.parse(value) as string
    if (value.startsWith("'")) {
      assert.isTrue(value.endsWith("'"), `compose line ${line.number}: unterminated quote`)
      return value.slice(1, -1).replaceAll("''", "'")
    }
    assert.isFalse(/^[|>&!%@`{]/.test(value), `compose line ${line.number}: "${value}" is outside the subset`)
    return value
  }

  const block = (indent: number): Yaml => {
    const first = lines[position]!
    return first.text.startsWith("- ") || first.text === "-" ? sequence(indent) : mapping(indent)
  }

  const sequence = (indent: number): Array<Yaml> => {
    const items: Array<Yaml> = []
    while (position < lines.length && lines[position]!.indent === indent && lines[position]!.text.startsWith("- ")) {
      const line = lines[position]!
      const value = line.text.slice(2).trim()
      assert.isFalse(/^[A-Za-z0-9_.-]+:( |$)/.test(value), `compose line ${line.number}: mappings inside sequences are outside the subset`)
      items.push(scalar(value, line))
      position++
    }
    return items
  }

  const mapping = (indent: number): Record<string, Yaml> => {
    const result: Record<string, Yaml> = {}
    while (position < lines.length && lines[position]!.indent === indent) {
      const line = lines[position]!
      const match = /^([A-Za-z0-9_.<-]+):(?: +(.*))?$/.exec(line.text)
      assert.isNotNull(match, `compose line ${line.number}: "${line.text}" is not a key`)
      const [, key, rest] = match!
      position++
      const value = (rest ?? "").trim()
      const anchor = /^&([A-Za-z0-9_-]+)$/.exec(value)
      let child: Yaml
      if (value === "" || anchor !== null) {
        const next = lines[position]
        assert.isTrue(next !== undefined && next.indent > indent, `compose line ${line.number}: "${key}" has no value`)
        child = block(next!.indent)
        if (anchor !== null) anchors.set(anchor[1]!, child)
      } else {
        child = scalar(value, line)
      }
      if (key === "<<") {
        assert.isTrue(typeof child === "object" && !Array.isArray(child), `compose line ${line.number}: << merges a mapping`)
        Object.assign(result, child)
      } else {
        assert.notProperty(result, key!, `compose line ${line.number}: "${key}" twice`)
        result[key!] = child
      }
    }
    return result
  }

  const document = block(0)
  assert.strictEqual(position, lines.length, `compose line ${lines[position]?.number}: unexpected indentation`)
  return document
}

/** `value` as a mapping (the test fails when it is not one). */
export const asMapping = (value: Yaml | undefined, what: string): { readonly [key: string]: Yaml } => {
  assert.isTrue(typeof value === "object" && value !== null && !Array.isArray(value), `${what} is a mapping`)
  return value as { readonly [key: string]: Yaml }
}

// --- Dockerfiles -----------------------------------------------------------------------------------------------

interface DockerInstruction {
  readonly keyword: string
  readonly args: string
  readonly stage: number
}

/** A Dockerfile's instructions (continuation lines joined, comments dropped), each with the index of its stage. */
export const readDockerfile = (text: string): Array<DockerInstruction> => {
  const joined = text.split("\n").filter((line) => !line.trimStart().startsWith("#")).join("\n").replace(/\\\n/g, " ")
  let stage = -1
  return joined.split("\n").flatMap((line) => {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line)
    if (match === null) return []
    if (match[1] === "FROM") stage++
    return [{ keyword: match[1]!, args: match[2]!.replace(/\s+/g, " ").trim(), stage }]
  })
}

// --- the runtime import graph ----------------------------------------------------------------------------------

interface ImportGraph {
  /** Repository files loaded, relative to the root. */
  readonly files: ReadonlySet<string>
  /** Package name -> a file that imports it. */
  readonly packages: ReadonlyMap<string, string>
}

const importPattern = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^"'`;]*?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g

/**
 * Every file and package loaded from `entries` (files relative to the root), following static imports, re-exports
 * and `import("literal")`; `import type` is skipped (Node strips it). Node's builtins are left out.
 */
export const importGraph = (entries: ReadonlyArray<string>): ImportGraph => {
  const files = new Set<string>()
  const packages = new Map<string, string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    if (file.endsWith(".json")) return
    for (const match of readRepoFile(file).matchAll(importPattern)) {
      if (match[2] !== undefined) continue
      const specifier = (match[3] ?? match[4])!
      if (specifier.startsWith(".")) {
        visit(NodePath.relative(repoRoot, NodePath.resolve(repoRoot, NodePath.dirname(file), specifier)))
      } else if (!specifier.startsWith("node:")) {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!
        if (!packages.has(name)) packages.set(name, file)
      }
    }
  }
  entries.forEach(visit)
  return { files, packages }
}
