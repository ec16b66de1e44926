import { describe, expect, it } from "vitest";
import { jobLogger } from "../bridge/src/server/job-manager.js";
import { captureLogger } from "./serve-fixtures.js";

describe("job log lines", () => {
  it("name the job's run once", () => {
    const capture = captureLogger();
    const logger = jobLogger(capture.logger, { jobId: "j1", kind: "sample", runId: 6 });

    logger.info({ runId: 6, state: "draft" }, "run opened");
    logger.info("plan is current; reusing it");

    const [opened, reused] = capture.lines();
    expect(opened!.match(/"runId"/g)).toHaveLength(1);
    expect(JSON.parse(opened!)).toMatchObject({ jobId: "j1", runId: 6, state: "draft" });
    expect(JSON.parse(reused!)).toMatchObject({ jobId: "j1", kind: "sample", runId: 6 });
  });

  it("take the run from a line without a job run", () => {
    const capture = captureLogger();
    const logger = jobLogger(capture.logger, { jobId: "j2", kind: "migrate", runId: null });

    logger.info({ runId: 9 }, "run opened");
    logger.info("re-sync pulled");

    const [opened, pulled] = capture.lines();
    expect(opened!.match(/"runId"/g)).toHaveLength(1);
    expect(JSON.parse(opened!).runId).toBe(9);
    expect(pulled).not.toContain("runId");
  });

  it("keep another run's id apart", () => {
    const capture = captureLogger();
    const logger = jobLogger(capture.logger, { jobId: "j3", kind: "sample", runId: 6 });

    logger.warn({ runId: 7 }, "other run");

    const line = capture.lines()[0]!;
    expect(line.match(/"runId"/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ runId: 6, otherRunId: 7 });
  });
});
