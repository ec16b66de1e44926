import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../core/log.js";
import { unreadFileReason } from "../mapping/propose-files.js";
import { encodingDecision } from "../snapshot/encoding.js";
import {
  membershipFiles,
  missingDefinitionsWarning,
  openSnapshot,
  readSegments,
  snapshotPath,
  stateEncodings,
  type Snapshot,
} from "../snapshot/snapshot.js";
import { renderAuditMarkdown } from "./markdown.js";
import { auditCampaigns, auditEvents, auditPushTokens, countDefinitions } from "./objects.js";
import type { AuditReport, FileEncoding } from "./types.js";
import { auditUsers } from "./users.js";

export interface AuditResult {
  report: AuditReport;
  files: string[];
  /** Problems with the snapshot as a whole that the command prints, such as a missing file. */
  warnings: string[];
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text, "utf8");
  await rename(`${path}.tmp`, path);
}

/** Encoding of every file the audit opened as text, as the reader chose it. */
function fileEncodings(snapshot: Snapshot): FileEncoding[] {
  const result: FileEncoding[] = [];
  for (const file of snapshot.files) {
    const decision = encodingDecision(snapshotPath(snapshot, file));
    if (decision) {
      result.push({ file, encoding: decision.encoding, chosen: decision.source ?? "detected" });
    }
  }
  return result;
}

function unreadFiles(snapshot: Snapshot): AuditReport["files"]["notRead"] {
  const result: AuditReport["files"]["notRead"] = [];
  for (const file of snapshot.files) {
    const reason = unreadFileReason(file);
    if (reason) {
      result.push({ file, reason });
    }
  }
  return result;
}

/**
 * Read the whole snapshot once per kind of file and write audit.json, audit.md and
 * users-without-segment.csv into `outDir`. No push token and no secret reaches these files.
 * `statedEncodings` maps snapshot paths to the encoding their files are read in.
 */
export async function runAudit(
  snapshotDir: string,
  outDir: string,
  logger: Logger,
  now: Date = new Date(),
  statedEncodings: Record<string, string> = {},
): Promise<AuditResult> {
  const snapshot = await openSnapshot(snapshotDir, { logger });
  stateEncodings(snapshot, statedEncodings);
  await mkdir(outDir, { recursive: true });
  const unsegmentedCsv = join(outDir, "users-without-segment.csv");

  const userFigures = await auditUsers(snapshot, unsegmentedCsv, logger);
  const pushTokens = await auditPushTokens(snapshot);
  const events = await auditEvents(snapshot);
  const campaigns = await auditCampaigns(snapshot);
  const definitions = await countDefinitions(snapshot);
  const segments = await readSegments(snapshot);
  const memberships = membershipFiles(snapshot);

  const segmentsWithFile = new Set(
    memberships.filter((m) => m.kind === "segment").map((m) => m.ref),
  );
  const tagNames = [
    ...new Set(memberships.filter((m) => m.kind === "tag").map((m) => m.ref)),
  ].sort();
  const report: AuditReport = {
    snapshot: {
      root: snapshotDir,
      app: snapshot.app,
      pulledAt: snapshot.manifest?.pulledAt,
      sourceTimeZone: snapshot.sourceTimeZone,
      hash: snapshot.hash,
    },
    generatedAt: now.toISOString(),
    counts: {
      users: userFigures.users.total,
      anonymousUsers: userFigures.users.anonymous,
      segments: definitions.segments ?? 0,
      tags: tagNames.length,
      installations: pushTokens.installations,
      events: events.total,
      eventCodes: events.codes.length,
      campaigns: campaigns.total,
      pushResultRows: campaigns.pushResultRows,
      journeys: definitions.journeys ?? 0,
      widgets: definitions.widgets ?? 0,
      surveys: definitions.surveys ?? 0,
      owners: definitions.owners ?? 0,
      companies: definitions.companies ?? 0,
    },
    users: userFigures.users,
    segmentCoverage: {
      segmentsDefined: segments.length,
      segmentsWithMembershipFile: segments.filter((s) => segmentsWithFile.has(s.id)).length,
      ...userFigures.coverage,
      segments: segments.map((s) => ({
        id: s.id,
        name: s.name,
        ...(s.type ? { type: s.type } : {}),
        declaredUserCount: s.userCount ?? null,
        membersFound: userFigures.membersBySegment.get(s.id) ?? 0,
        membershipFile: segmentsWithFile.has(s.id),
      })),
    },
    tags: {
      tags: tagNames.map((name) => ({ name, members: userFigures.membersByTag.get(name) ?? 0 })),
      usersWithNoTag: userFigures.usersWithNoTag,
      identifiedWithNoTag: userFigures.identifiedWithNoTag,
    },
    gdpr: userFigures.gdpr,
    pushTokens,
    events,
    campaigns,
    files: { encodings: fileEncodings(snapshot), notRead: unreadFiles(snapshot) },
  };

  const jsonPath = join(outDir, "audit.json");
  const markdownPath = join(outDir, "audit.md");
  await writeAtomically(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeAtomically(markdownPath, renderAuditMarkdown(report));
  logger.info({ outDir, users: report.users.total }, "audit written");
  const warnings: string[] = [];
  const missing = missingDefinitionsWarning(snapshot);
  if (missing) {
    warnings.push(missing);
  }
  for (const { file, reason } of report.files.notRead) {
    warnings.push(`warning: ${file} is not read: ${reason}`);
  }
  return { report, files: [jsonPath, markdownPath, unsegmentedCsv], warnings };
}
