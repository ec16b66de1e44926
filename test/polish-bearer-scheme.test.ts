import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../bridge/src/server/app.js";
import { captureLogger, recordingJobs } from "./serve-fixtures.js";

const TOKEN = "polish-bearer-0123456789abcdefghijk";

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "polish-bearer-"));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

function app() {
  return createApp({
    token: TOKEN,
    logger: captureLogger().logger,
    jobs: recordingJobs().jobs,
    dataDir,
  });
}

const WRONG = "the bridge token does not match the one this server was started with";
const MISSING = "no bridge token: send Authorization: Bearer <token> or X-Bridge-Token: <token>";

describe("the Authorization scheme", () => {
  it.each(["bearer", "BEARER", "BeArEr", "Bearer"])(
    "accepts the token after the scheme spelled %s",
    async (scheme) => {
      const response = await request(app())
        .get("/jobs/none")
        .set("Authorization", `${scheme} ${TOKEN}`);
      // Past authentication: the job does not exist.
      expect(response.status).toBe(404);
      expect(response.body.error).toBe('job "none" not found');
    },
  );

  it.each([
    ["a wrong token in lower case", `bearer ${TOKEN.slice(0, -1)}x`, WRONG],
    ["a scheme without a space", `bearer${TOKEN}`, MISSING],
    ["another scheme", `bearerx ${TOKEN}`, MISSING],
  ])("rejects %s with 401", async (_label, header, detail) => {
    const response = await request(app()).get("/jobs/none").set("Authorization", header);
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="netmera-odoo bridge"');
    expect(response.body).toEqual({ error: "unauthorized", detail, requestId: expect.any(String) });
  });
});
