import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../bridge/src/server/app.js";
import { captureLogger, recordingJobs } from "./serve-fixtures.js";

const TOKEN = "t0ken-for-tests-0123456789abcdef-XYZ";

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "serve-rollback-"));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("POST /runs/:id/rollback", () => {
  function build() {
    const recorded = recordingJobs();
    const { logger } = captureLogger();
    const app = createApp({ token: TOKEN, logger, jobs: recorded.jobs, dataDir });
    return { app, calls: recorded.calls };
  }

  async function settle(app: ReturnType<typeof build>["app"], id: string) {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const response = await request(app).get(`/jobs/${id}`).set("X-Bridge-Token", TOKEN);
      if (response.body.state !== "running") return response.body;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`job ${id} still running`);
  }

  it.each([
    ["no body", undefined, false],
    ["an empty body", {}, false],
    ["force false", { force: false }, false],
    ["force true", { force: true }, true],
  ])("passes force to the rollback job with %s", async (_label, body, force) => {
    const { app, calls } = build();

    const started = request(app).post("/runs/7/rollback").set("X-Bridge-Token", TOKEN);
    const response = await (body === undefined ? started : started.send(body));

    expect(response.status).toBe(202);
    expect((await settle(app, response.body.id)).state).toBe("succeeded");
    expect(calls).toEqual([{ job: "rollback", params: { runId: 7, force } }]);
  });

  it("rejects a force that is not a boolean, and unknown keys", async () => {
    const { app, calls } = build();

    for (const body of [{ force: "yes" }, { force: true, cascade: true }]) {
      const response = await request(app)
        .post("/runs/7/rollback")
        .set("X-Bridge-Token", TOKEN)
        .send(body);
      expect(response.status).toBe(400);
    }
    expect(calls).toEqual([]);
  });
});
