/**
 * Rehearsal only (`FAKE_STORE_FAULT_RATE`): the object store with each read or write (put, get, head, list,
 * delete, deletePrefix, listFolders) failing at this rate, as a flaky S3 endpoint would; presigning is local and
 * never fails. The chaos run
 * uses it to show that store faults end in a retry or a terminal status, never in a stuck job.
 */
import { Effect, Layer, Random } from "effect"
import { ObjectStore, ObjectStoreError } from "../../services/object-store.ts"

export const FaultyObjectStoreLive = (rate: number) =>
  Layer.effect(ObjectStore, Effect.gen(function*() {
    const store = yield* ObjectStore
    yield* Effect.logWarning(`rehearsal: FAKE_STORE_FAULT_RATE=${rate}: the object store fails that share of its calls on purpose`)
    const flaky = <A>(operation: string, key: string, call: Effect.Effect<A, ObjectStoreError>) =>
      Effect.flatMap(Random.next, (draw) =>
        draw < rate
          ? Effect.fail(new ObjectStoreError({ operation, key, message: `injected fault (FAKE_STORE_FAULT_RATE=${rate})` }))
          : call)
    return ObjectStore.of({
      ...store,
      put: (key, body, contentType) => flaky("put", key, store.put(key, body, contentType)),
      get: (key) => flaky("get", key, store.get(key)),
      head: (key) => flaky("head", key, store.head(key)),
      list: (prefix) => flaky("list", prefix, store.list(prefix)),
      delete: (key) => flaky("delete", key, store.delete(key)),
      deletePrefix: (prefix) => flaky("deletePrefix", prefix, store.deletePrefix(prefix)),
      listFolders: (prefix) => flaky("listFolders", prefix, store.listFolders(prefix))
    })
  }))
