/** A temporary home for disk-store tests, and the disk store on it without a server. */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Effect, Layer, Option } from "effect"
import { type ServiceConfig, SettingsWith } from "../../src/config.ts"
import { DiskObjectStoreLive } from "../../layers/storage/disk/disk-store.ts"

const publicUrl = "http://files.test"

/** A fresh folder, removed afterwards. */
export const scopedFolder = (prefix: string) =>
  Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), prefix))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )

/** The disk store with its home in `home` and URLs under `publicUrl`. */
export const diskStore = (home: string, overrides: Partial<ServiceConfig> = {}) =>
  DiskObjectStoreLive.pipe(Layer.provide(SettingsWith({ home, publicUrl: Option.some(publicUrl), ...overrides })))

export const exists = (path: string) =>
  Effect.promise(() => Fs.access(path).then(() => true, () => false))

/** Every file under `dir`, relative to it. */
export const filesUnder = (dir: string) =>
  Effect.promise(async () => (await Fs.readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => NodePath.relative(dir, NodePath.join(entry.parentPath, entry.name)))
    .sort())

export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
export const bytes = (value: string) => new TextEncoder().encode(value)
