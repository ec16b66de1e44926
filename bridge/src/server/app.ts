import express, { type Express } from "express";
import type { Logger } from "../core/log.js";
import { requireToken } from "./auth.js";
import { PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.js";
import { errorHandler, notFound } from "./error-handler.js";
import { JobManager, type JobRecord } from "./job-manager.js";
import type { JobRunners } from "./jobs.js";
import { requestLog } from "./request-log.js";
import { runRoutes } from "./run-routes.js";
import { DataDir, jobStateDir, storeSnapshotUpload, type UploadLimits } from "./snapshot-store.js";
import { DEFAULT_MAX_RATIO } from "./unzip.js";

const GiB = 1024 ** 3;

/**
 * Upload limits, sized for a snapshot of 2,000,000 users and 100,000,000 events. An event row of
 * the sample snapshot takes about 110 bytes of CSV and a user row about 290, so such a snapshot
 * is near 12 GiB (11 GiB of them events), plus devices, push results and segment lists. 32 GiB
 * in all leaves room for wider attributes; 16 GiB per entry fits all events in one file; 8 GiB
 * of zip is what 32 GiB of CSV deflates to at 4 times, below the usual 5 to 20.
 */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxUploadBytes: 8 * GiB,
  maxUnpackedBytes: 32 * GiB,
  maxEntryBytes: 16 * GiB,
  maxRatio: DEFAULT_MAX_RATIO,
  maxEntries: 100_000,
  minFreeBytes: 1 * GiB,
};

export interface AppDeps {
  /** Bridge token every route but `GET /health` requires. */
  token: string;
  logger: Logger;
  jobs: JobRunners;
  /** Folder for snapshots and per-run work folders. */
  dataDir: string;
  /** Runs the jobs; pass one to share it with the re-sync schedule or to await shutdown. */
  manager?: JobManager;
  /** Called on every job change when `manager` is not given. */
  onJobChange?: (job: Readonly<JobRecord>) => void;
  uploadLimits?: Partial<UploadLimits>;
  /** Largest JSON body (a mapping.json can be a few megabytes), in express's size notation. */
  jsonLimit?: string;
}

/** Build the bridge API. It does not listen; `startServer` does, and tests use supertest. */
export function createApp(deps: AppDeps): Express {
  const logger = deps.logger;
  const manager =
    deps.manager ??
    new JobManager({
      logger,
      onChange: deps.onJobChange ?? (() => {}),
      stateDir: jobStateDir(deps.dataDir),
    });
  const dataDir = new DataDir(deps.dataDir);
  const uploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...deps.uploadLimits };
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);

  app.use(requestLog(logger));
  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.use(requireToken(deps.token));

  // Registered before the JSON parser: the body is a zip stream that goes to disk as it comes.
  app.post("/snapshots", async (req, res) => {
    // A form upload (curl -F, a browser form) wraps the zip in multipart boundaries, so no zip
    // reader can open it. This route reads the body itself as the zip.
    if (req.is("multipart/*")) {
      throw new UnsupportedMediaTypeError(
        `upload is ${req.get("content-type")?.split(";")[0]}; send the zip itself as the ` +
          "request body with Content-Type: application/zip (curl --data-binary @snapshot.zip " +
          "-H 'Content-Type: application/zip'), not as a form field",
      );
    }
    const declared = Number(req.get("content-length") ?? 0);
    if (declared > uploadLimits.maxUploadBytes) {
      throw new PayloadTooLargeError(
        `upload of ${declared} bytes is larger than ${uploadLimits.maxUploadBytes} bytes, the configured limit`,
      );
    }

    const stored = await storeSnapshotUpload(dataDir, req, uploadLimits, logger);
    logger.info(
      {
        requestId: res.locals.requestId,
        snapshotId: stored.snapshotId,
        snapshotHash: stored.snapshotHash,
        files: stored.files,
      },
      stored.existing ? "snapshot upload matched an earlier one" : "snapshot stored",
    );
    res.status(stored.existing ? 200 : 201).json(stored);
  });

  app.use(rejectNonJsonBodies());
  app.use(express.json({ limit: deps.jsonLimit ?? "16mb" }));
  app.use(runRoutes({ jobs: deps.jobs, manager, dataDir }));
  app.use(notFound());
  app.use(errorHandler(logger));
  return app;
}

/**
 * Reject a body that is not JSON on the JSON routes with 415. express.json skips such a body, so
 * the route would otherwise report its fields as missing and mislead the caller.
 */
function rejectNonJsonBodies(): express.RequestHandler {
  return (req, res, next) => {
    const length = Number(req.headers["content-length"] ?? 0);
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if ((length > 0 || chunked) && !req.is("application/json")) {
      res.status(415).json({
        error: `request body is ${req.headers["content-type"] ?? "without a content type"}; send JSON with content-type application/json`,
        requestId: res.locals.requestId,
      });
      return;
    }
    next();
  };
}
