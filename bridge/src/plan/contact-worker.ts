import { parentPort, workerData } from "node:worker_threads";
import { serveWorker } from "../core/worker-pool.js";
import {
  buildContactBatch,
  takeStateChanges,
  unpackGroups,
  workerEnvironment,
  type ContactBatchResult,
  type ContactWorkerInit,
} from "./contact-batch.js";

// A worker thread of the contacts phase: it builds contact rows from packed staged groups.
const { environment, files } = workerEnvironment(workerData as ContactWorkerInit);

if (parentPort) {
  serveWorker<(string | number)[], ContactBatchResult>(parentPort, (packed) => ({
    ...buildContactBatch(unpackGroups(packed), files, environment),
    state: takeStateChanges(environment),
  }));
}
