/**
 * The shared ObjectStore contract (`test/support/object-store-contract.ts`) against the disk store, with its `/storage/*` routes served on a
 * loopback port so that its presigned URLs can be fetched like S3's.
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer, Option, References } from "effect"
import { HttpRouter } from "effect/http"
import { DiskObjectStoreLive } from "../../layers/storage/disk/disk-store.ts"
import { StorageRoutes } from "../../src/api/server/storage-routes.ts"
import { SettingsWith } from "../../src/config.ts"
import { objectStoreContract } from "../support/object-store-contract.ts"
import { scopedFolder } from "../support/disk-store.ts"

/** A fresh home per test; PUBLIC_URL unset, so the URLs name the port the routes listen on. */
const diskStoreWithRoutes = Layer.unwrap(Effect.gen(function*() {
  const home = yield* scopedFolder("fishcloud-disk-contract-")
  return HttpRouter.serve(StorageRoutes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 })),
    Layer.provideMerge(DiskObjectStoreLive),
    Layer.provideMerge(SettingsWith({ home, host: "127.0.0.1", port: 0, publicUrl: Option.none() }))
  )
})).pipe(Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")))

objectStoreContract("disk store", diskStoreWithRoutes)
