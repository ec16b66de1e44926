import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAudit } from "../bridge/src/audit/run-audit.js";
import type { AuditReport } from "../bridge/src/audit/types.js";
import { silentLogger } from "../bridge/src/core/log.js";

let out: string;
let report: AuditReport;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "mapping-audit-sample-"));
  ({ report } = await runAudit("samples/small", out, silentLogger));
}, 120_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

describe("audit of the bundled sample", () => {
  it("finds the generator's anonymous users", () => {
    expect(report.users.anonymousInUserFiles).toBe(2);
    expect(report.users.anonymousInstallations).toBe(2);
  });

  it("finds only the planted conflict", () => {
    expect(report.users.usersWithConflicts).toBe(1);
    expect(report.users.conflictSample[0]).toEqual({
      user: "C1000006",
      column: "city",
      kept: "İzmir (users/people-export.csv line 8)",
      other: "Ankara (users/segment-vip.csv line 3)",
    });
  });

  it("matches the declared segment sizes", () => {
    for (const segment of report.segmentCoverage.segments.filter((s) => s.membershipFile)) {
      expect(segment.membersFound, segment.name).toBe(segment.declaredUserCount);
    }
  });

  it("flags the oversized campaign assets", () => {
    expect(report.campaigns.oversizedAssets.map((a) => a.type).sort()).toEqual([
      "image",
      "image",
      "video",
    ]);
  });

  it("reports the undefined event code", () => {
    const undefinedCodes = report.events.codes.filter((c) => !c.defined).map((c) => c.code);
    expect(undefinedCodes).toEqual(["legacy_checkout"]);
  });
});
