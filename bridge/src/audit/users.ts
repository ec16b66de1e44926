import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Logger } from "../core/log.js";
import { normalizeCountry } from "../normalize/country.js";
import { isNoValue } from "../normalize/text.js";
import { ExtIdCaseIndex } from "../snapshot/extid-case.js";
import { SOURCE_USER, Staging } from "../snapshot/staging.js";
import { readProfileAttributes, type Snapshot } from "../snapshot/snapshot.js";
import { mergeGroup, stageSnapshot } from "../snapshot/users.js";
import { isRealConflict } from "./conflicts.js";
import { EU_EEA_COUNTRIES } from "./eu-eea.js";
import type { AuditReport } from "./types.js";

const SAMPLE = 50;

export interface UserFigures {
  users: AuditReport["users"];
  coverage: Pick<
    AuditReport["segmentCoverage"],
    "usersInSomeSegment" | "usersInNoSegment" | "coveragePercent" | "usersInNoSegmentSample"
  >;
  membersBySegment: Map<string, number>;
  membersByTag: Map<string, number>;
  usersWithNoTag: number;
  identifiedWithNoTag: number;
  gdpr: AuditReport["gdpr"];
}

function csvCell(text: string): string {
  // Spreadsheet formula characters are neutralised here too: extIds are free text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function labelOf(extId: string | undefined, source: { file: string; line: number }): string {
  return extId ?? `(anonymous, ${source.file} line ${source.line})`;
}

/**
 * Merge every user of the snapshot by extId through the reader's disk-backed staging and count
 * what the audit reports. Users in no segment are streamed to `unsegmentedCsv`.
 */
export async function auditUsers(
  snapshot: Snapshot,
  unsegmentedCsv: string,
  logger: Logger,
): Promise<UserFigures> {
  const attributes = await readProfileAttributes(snapshot);
  const staging = new Staging();
  const caseIndex = new ExtIdCaseIndex(staging.dir);
  const out = createWriteStream(unsegmentedCsv, { encoding: "utf8" });
  out.write("user,file,line\r\n");
  try {
    let rowProblems = 0;
    await stageSnapshot(
      snapshot,
      staging,
      attributes,
      { onProblem: () => (rowProblems += 1) },
      logger,
    );
    const figures = emptyFigures();
    figures.users.rowProblems = rowProblems;
    const files = staging.files();
    for (const group of staging.groups()) {
      const user = mergeGroup(group, files);
      countUser(figures, user, snapshot.sourceTimeZone);
      if (user.extId !== undefined) {
        caseIndex.add(user.extId, "");
      }
      for (const row of group.rows) {
        const path = files.get(row.fileId)?.path;
        if (row.source === SOURCE_USER && path) {
          const perFile = figures.users.userRowsPerFile;
          perFile[path] = (perFile[path] ?? 0) + 1;
        }
      }
      if (user.segments.length === 0) {
        figures.coverage.usersInNoSegment += 1;
        const label = labelOf(user.extId, user.source);
        if (figures.coverage.usersInNoSegmentSample.length < SAMPLE) {
          figures.coverage.usersInNoSegmentSample.push(label);
        }
        const line = `${csvCell(label)},${csvCell(user.source.file)},${user.source.line}\r\n`;
        if (!out.write(line)) {
          await once(out, "drain");
        }
      }
    }

    countCaseVariants(figures, caseIndex);
    figures.coverage.coveragePercent =
      figures.users.total === 0
        ? 0
        : Math.round((figures.coverage.usersInSomeSegment / figures.users.total) * 1000) / 10;
    return figures;
  } finally {
    out.end();
    await once(out, "close");
    caseIndex.close();
    staging.close();
  }
}

/** Count users whose extId differs only in case from another user's, with sample groups. */
function countCaseVariants(figures: UserFigures, caseIndex: ExtIdCaseIndex): void {
  for (const variant of caseIndex.variants()) {
    figures.users.caseVariants += 1;
    const group = [variant.extId, ...variant.others];
    const first = variant.others.every((other) => variant.extId < other);
    if (first && figures.users.caseVariantSample.length < SAMPLE) {
      figures.users.caseVariantSample.push(group);
    }
  }
}

function emptyFigures(): UserFigures {
  return {
    users: {
      total: 0,
      identified: 0,
      anonymous: 0,
      anonymousInUserFiles: 0,
      anonymousInstallations: 0,
      userRowsPerFile: {},
      usersWithConflicts: 0,
      conflictSample: [],
      caseVariants: 0,
      caseVariantSample: [],
      rowProblems: 0,
    },
    coverage: {
      usersInSomeSegment: 0,
      usersInNoSegment: 0,
      coveragePercent: 0,
      usersInNoSegmentSample: [],
    },
    membersBySegment: new Map(),
    membersByTag: new Map(),
    usersWithNoTag: 0,
    identifiedWithNoTag: 0,
    gdpr: { euEeaUsers: 0, byCountry: {}, usersWithoutCountry: 0, unrecognisedCountries: 0 },
  };
}

function short(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

function countUser(
  figures: UserFigures,
  user: ReturnType<typeof mergeGroup>,
  timeZone: string,
): void {
  const { users } = figures;
  users.total += 1;
  if (user.extId === undefined) {
    users.anonymous += 1;
    if (user.userRows > 0) {
      users.anonymousInUserFiles += 1;
    } else if (user.devices.length > 0) {
      users.anonymousInstallations += 1;
    }
  } else {
    users.identified += 1;
  }
  const conflicts = user.conflicts.filter((c) => isRealConflict(c, timeZone));
  if (conflicts.length > 0) {
    users.usersWithConflicts += 1;
  }
  for (const conflict of conflicts) {
    if (figures.users.conflictSample.length >= SAMPLE) {
      break;
    }
    figures.users.conflictSample.push({
      user: labelOf(user.extId, user.source),
      column: conflict.meaning.replace(/^attr:/, ""),
      kept: `${short(conflict.kept.value)} (${conflict.kept.file} line ${conflict.kept.line})`,
      other: `${short(conflict.other.value)} (${conflict.other.file} line ${conflict.other.line})`,
    });
  }

  if (user.segments.length > 0) {
    figures.coverage.usersInSomeSegment += 1;
  }
  for (const segment of user.segments) {
    figures.membersBySegment.set(segment, (figures.membersBySegment.get(segment) ?? 0) + 1);
  }
  for (const tag of user.tags) {
    figures.membersByTag.set(tag, (figures.membersByTag.get(tag) ?? 0) + 1);
  }
  if (user.tags.length === 0) {
    figures.usersWithNoTag += 1;
    if (user.extId !== undefined) {
      figures.identifiedWithNoTag += 1;
    }
  }

  countCountry(figures.gdpr, user.values.get("attr:country")?.value);
}

function countCountry(gdpr: AuditReport["gdpr"], raw: string | undefined): void {
  if (raw === undefined || isNoValue(raw)) {
    gdpr.usersWithoutCountry += 1;
    return;
  }

  const country = normalizeCountry(raw);
  if (!country.ok) {
    gdpr.unrecognisedCountries += 1;
    return;
  }
  gdpr.byCountry[country.value] = (gdpr.byCountry[country.value] ?? 0) + 1;
  if (EU_EEA_COUNTRIES.has(country.value)) {
    gdpr.euEeaUsers += 1;
  }
}
