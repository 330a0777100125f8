#!/usr/bin/env node
// The `fishcloud` command. Node (>= 22.18) runs the TypeScript entry point itself by stripping its types: no build
// step. Node does not strip files under node_modules, so an install from a package tarball goes through tsx.
import * as NodePath from "node:path"

if (import.meta.dirname.split(NodePath.sep).includes("node_modules")) {
  const { register } = await import("tsx/esm/api")
  register()
}
await import("../src/main.ts")
