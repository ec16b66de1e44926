import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { request as httpRequest, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../bridge/src/server/app.js";
import { buildZip, captureLogger, recordingJobs } from "./serve-fixtures.js";

const TOKEN = "upload-client-token-0123456789abcdefgh";
const PORT = 18121;

let root: string;
let dataDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "serve-upload-client-"));
  dataDir = join(root, "data");
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function incomingLeft(): string[] {
  const incoming = join(dataDir, "incoming");
  return existsSync(incoming) ? readdirSync(incoming) : [];
}

const snapshotZip = buildZip([{ name: "users/a.csv", data: "extId,name\nu1,Ada\n" }]);

describe("snapshot upload client errors", () => {
  it("multipart upload gets 415", async () => {
    const { logger } = captureLogger();
    const app = createApp({ token: TOKEN, logger, jobs: recordingJobs().jobs, dataDir });

    const response = await request(app)
      .post("/snapshots")
      .set("Authorization", `Bearer ${TOKEN}`)
      .attach("file", snapshotZip, "small.zip");

    expect(response.status).toBe(415);
    expect(response.body.code).toBe("unsupported_media_type");
    expect(response.body.error).toBe(
      "upload is multipart/form-data; send the zip itself as the request body with " +
        "Content-Type: application/zip (curl --data-binary @snapshot.zip -H 'Content-Type: " +
        "application/zip'), not as a form field",
    );
    expect(incomingLeft()).toEqual([]);
  });

  it("dropped upload logs one warning", async () => {
    const capture = captureLogger();
    const app = createApp({
      token: TOKEN,
      logger: capture.logger,
      jobs: recordingJobs().jobs,
      dataDir,
    });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(PORT, "127.0.0.1", () => resolve(listening));
    });
    try {
      await new Promise<void>((resolve) => {
        const upload = httpRequest({
          host: "127.0.0.1",
          port: PORT,
          method: "POST",
          path: "/snapshots",
          headers: {
            Authorization: `Bearer ${TOKEN}`,
            "Content-Type": "application/zip",
            "Transfer-Encoding": "chunked",
          },
        });
        upload.on("error", () => resolve());
        upload.write(snapshotZip.subarray(0, 40));
        // Part of the zip arrived; the client then goes away, as curl does when it times out.
        setTimeout(() => {
          upload.destroy();
          resolve();
        }, 200);
      });

      const deadline = Date.now() + 5000;
      const dropped = () =>
        capture.lines().find((line) => line.includes("before the request body ended"));
      while (!dropped() && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The handler cleans the incoming folder up after it logged the failure.
      await new Promise((resolve) => setTimeout(resolve, 200));

      const line = JSON.parse(dropped() ?? "{}");
      expect(line.msg).toBe("client closed the connection before the request body ended");
      expect(line.level).toBe(40);
      expect(line.path).toBe("/snapshots");
      expect(line.err).toBeUndefined();
      expect(capture.text()).not.toContain("abortIncoming");
      expect(capture.lines().filter((text) => JSON.parse(text).level >= 50)).toEqual([]);
      expect(incomingLeft()).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
