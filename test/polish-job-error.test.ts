import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BridgeError } from "../bridge/src/core/errors.js";
import { createApp } from "../bridge/src/server/app.js";
import { publicMessage } from "../bridge/src/server/errors.js";
import { realJobs } from "../bridge/src/server/real-jobs.js";
import { buildZip, captureLogger } from "./serve-fixtures.js";

const TOKEN = "polish-job-error-0123456789abcdefghij";

let root: string;
let dataDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "polish-job-error-"));
  dataDir = join(root, "data");
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function bridgeApp() {
  const jobs = realJobs({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    token: TOKEN,
    odoo: null,
    migrate: {},
    netmera: null,
    resync: null,
    uploads: {},
    chromiumPath: "/usr/bin/chromium",
  });
  return createApp({ token: TOKEN, logger: captureLogger().logger, jobs, dataDir });
}

async function finished(app: ReturnType<typeof bridgeApp>, id: string) {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const response = await request(app).get(`/jobs/${id}`).set("X-Bridge-Token", TOKEN);
    if (response.body.state !== "running") return response.body as Record<string, unknown>;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`job ${id} still running`);
}

describe("a failed job's error", () => {
  it("carries the reason that follows the first line", async () => {
    const app = bridgeApp();
    const zip = buildZip([{ name: "users/a.csv", data: "extId;email\nu1;a@example.com\n" }]);
    const upload = await request(app)
      .post("/snapshots")
      .set("X-Bridge-Token", TOKEN)
      .set("Content-Type", "application/zip")
      .send(zip);
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    const snapshotId = String(upload.body.snapshotId);

    const started = await request(app)
      .post("/runs/5/inventory")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId });
    expect(started.status).toBe(202);
    const job = await finished(app, String(started.body.id));

    const dir = join(dataDir, "snapshots", snapshotId);
    expect(job.state).toBe("failed");
    expect(job.error).toBe(
      `${dir}: the snapshot cannot be rendered as an inventory: manifest.json: not found in ${dir}`,
    );
  });

  it("joins further reasons and says how many were left out", () => {
    const reasons = Array.from(
      { length: 40 },
      (_, index) => `file${String(index).padStart(2, "0")}.json: ${"x".repeat(80)}`,
    );
    const error = new BridgeError(`cannot render:\n  ${reasons.join("\n  ")}`);

    const message = publicMessage(error);

    expect(message.startsWith(`cannot render: ${reasons[0]}; ${reasons[1]}; `)).toBe(true);
    expect(message.length).toBeLessThanOrEqual(2000 + 40);
    // "cannot render: " and the first reason take 109 characters, and each further reason 96
    // with its "; ", so 19 more fit in 2000.
    expect(message.endsWith(`; ${reasons[19]}; and 20 more in the bridge log`)).toBe(true);
    expect(message).not.toContain("\n");
  });
});
