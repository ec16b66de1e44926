import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { Logger } from "../core/log.js";
import type { JobManager } from "./job-manager.js";

export interface RunningServer {
  url: string;
  port: number;
  /**
   * Stop accepting connections, abort running jobs (each ends after its batch in flight, whose
   * checkpoint Odoo keeps), wait for them and for `beforeExit`, then close the server.
   */
  close(): Promise<void>;
}

export interface StartServerOptions {
  app: Express;
  manager: JobManager;
  host: string;
  port: number;
  logger: Logger;
  /** Work to do as shutdown begins, before jobs are aborted: stop the re-sync schedule. */
  onClosing?: () => Promise<void>;
  /** Work to finish after the jobs ended: flush reports to Odoo. */
  beforeExit?: () => Promise<void>;
  /**
   * How long shutdown waits for aborted jobs, in milliseconds. A job still running then is
   * left to die with the process; its run resumes from the last batch Odoo committed.
   */
  shutdownGraceMs?: number;
}

/** Default wait for running jobs on shutdown; Docker's default stop timeout is shorter. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 120_000;

async function waitForJobs(manager: JobManager, graceMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((done) => {
    timer = setTimeout(() => done("expired"), graceMs);
  });
  const outcome = await Promise.race([manager.shutdown().then(() => "ended" as const), expired]);
  clearTimeout(timer);
  if (outcome === "expired") {
    logger.warn(
      { graceMs },
      "jobs still running after the shutdown grace time; stopping anyway, their runs resume " +
        "from the last batch Odoo committed",
    );
  }
}

/** Listen on `host:port` and return once the port is bound. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { app, manager, logger } = options;
  const server: Server = await new Promise((done, fail) => {
    const listening = app.listen(options.port, options.host, () => done(listening));
    listening.once("error", fail);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  logger.info({ url }, "bridge listening");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info("bridge shutting down: no new connections, waiting for running jobs");
      const stopped = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      await options.onClosing?.();
      await waitForJobs(manager, options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS, logger);
      await options.beforeExit?.();
      // Requests still open (a slow upload) are cut once the jobs have ended.
      server.closeAllConnections();
      await stopped;
      logger.info("bridge stopped");
    })();
    return closing;
  };

  return { url, port, close };
}

/**
 * Close the server on SIGTERM or SIGINT and then exit. A second signal exits at once, for an
 * operator who does not want to wait for the batch in flight.
 */
export function closeOnSignals(
  server: RunningServer,
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, "second signal: exiting without waiting for running jobs");
      exit(1);
      return;
    }

    received = true;
    logger.info({ signal }, "signal received");
    server.close().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}
