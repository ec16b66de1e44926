import type { AuditReport, FileEncoding } from "./types.js";

/**
 * Escape snapshot text for Markdown: segment names, extIds and campaign names come from the
 * source system, and Markdown viewers render raw HTML.
 */
function escapeText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([|`*_[\]\\])/g, "\\$1")
    .replace(/[\r\n]+/g, " ");
}

function table(header: string[], rows: (string | number)[][]): string {
  const lines = [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.map((cell) => escapeText(String(cell))).join(" | ")} |`),
  ];
  return lines.join("\n");
}

function countsOf(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([, a], [, b]) => b - a);
  return entries.length === 0
    ? "none"
    : entries.map(([key, n]) => `${escapeText(key)} ${n}`).join(", ");
}

const CHOSEN_TEXT: Record<FileEncoding["chosen"], string> = {
  detected: "from its bytes",
  stated: "stated with --encoding",
  guessed: "guessed: not UTF-8, so read as Windows-1254; check its letters",
};

function filesSection(files: AuditReport["files"]): string {
  const notRead =
    files.notRead.length === 0
      ? "Every file of the snapshot is one that a reader takes."
      : `${files.notRead.length} files are not read, so nothing of them is imported:\n\n` +
        table(
          ["file", "reason"],
          files.notRead.map((f) => [f.file, f.reason]),
        );
  return (
    `## Files\n\n${notRead}\n\n` +
    "Text encoding of each CSV or text file. A guessed Windows-1254 file may be " +
    "Latin-1, whose letters ð ý þ Ð Ý Þ it turns into ğ ı ş Ğ İ Ş; state the encoding with " +
    "`--encoding FILE=ENCODING` on map and audit.\n\n" +
    table(
      ["file", "encoding", "how"],
      files.encodings.map((f) => [f.file, f.encoding, CHOSEN_TEXT[f.chosen]]),
    )
  );
}

/** Render audit.md from the report; every figure comes from audit.json. */
export function renderAuditMarkdown(report: AuditReport): string {
  const { users, segmentCoverage: coverage, tags, gdpr, pushTokens, events, campaigns } = report;
  const sections = [
    `# Netmera snapshot audit\n\nSnapshot \`${report.snapshot.root}\`` +
      (report.snapshot.app ? ` of app "${escapeText(report.snapshot.app)}"` : "") +
      (report.snapshot.pulledAt ? `, pulled at ${report.snapshot.pulledAt}` : "") +
      `, source time zone ${report.snapshot.sourceTimeZone}, hash \`${report.snapshot.hash.slice(0, 16)}…\`.`,

    "## Counts\n\n" +
      table(
        ["object", "count"],
        Object.entries(report.counts).map(([name, count]) => [name, count]),
      ),

    "## Users\n\n" +
      table(
        ["figure", "count"],
        [
          ["users (merged by extId)", users.total],
          ["identified (with extId)", users.identified],
          ["anonymous", users.anonymous],
          ["anonymous rows in user files", users.anonymousInUserFiles],
          ["anonymous installations", users.anonymousInstallations],
          ["users with conflicting values across files", users.usersWithConflicts],
          ["users whose extId differs from another only in case", users.caseVariants],
          ["rows the reader could not use", users.rowProblems],
        ],
      ) +
      "\n\nUser rows per file: " +
      countsOf(users.userRowsPerFile) +
      "." +
      (users.conflictSample.length > 0
        ? "\n\nConflicting values (the first file in sorted order wins):\n\n" +
          table(
            ["user", "column", "kept", "other"],
            users.conflictSample.map((c) => [c.user, c.column, c.kept, c.other]),
          )
        : "") +
      (users.caseVariantSample.length > 0
        ? "\n\nextIds that differ only in case stay separate contacts (extIds are " +
          "case-sensitive); plan flags them as `extid_case_variant`:\n\n" +
          table(
            ["extIds"],
            users.caseVariantSample.map((group) => [group.join(", ")]),
          )
        : ""),

    `## Segment coverage\n\n${coverage.usersInSomeSegment} of ${users.total} users ` +
      `(${coverage.coveragePercent}%) are in at least one exported segment; ` +
      `${coverage.usersInNoSegment} are in none (all listed in users-without-segment.csv).\n\n` +
      table(
        ["segment", "name", "type", "declared users", "members found", "membership file"],
        coverage.segments.map((s) => [
          s.id,
          s.name,
          s.type ?? "",
          s.declaredUserCount ?? "n/a",
          s.membersFound,
          s.membershipFile ? "yes" : "no",
        ]),
      ) +
      (coverage.usersInNoSegmentSample.length > 0
        ? `\n\nFirst users in no segment: ${coverage.usersInNoSegmentSample
            .slice(0, 20)
            .map((u) => `\`${u}\``)
            .join(", ")}.`
        : ""),

    `## Tags\n\n${tags.usersWithNoTag} users have no tag (${tags.identifiedWithNoTag} of them identified); ` +
      "they are flagged on import.\n\n" +
      table(
        ["tag", "members"],
        tags.tags.map((t) => [t.name, t.members]),
      ),

    `## GDPR scope\n\n${gdpr.euEeaUsers} users live in an EU or EEA country. ` +
      `${gdpr.usersWithoutCountry} users have no country and ${gdpr.unrecognisedCountries} have a country that is not recognised.\n\n` +
      `Users by country: ${countsOf(gdpr.byCountry)}.`,

    `## Push tokens\n\n${pushTokens.withPushToken} of ${pushTokens.installations} installations have a push token ` +
      `(${pushTokens.pushPermitted} with push permission). Push tokens are not migrated: Odoo cannot send app pushes. ` +
      `Installations by platform: ${countsOf(pushTokens.byPlatform)}.`,

    `## Event schema sample\n\n${events.total} events; ${events.withoutUser} without a user, ` +
      `${events.badAttributes} with attributes that are not a JSON object.\n\n` +
      table(
        ["event", "count", "defined", "attributes (inferred type)"],
        events.codes.map((c) => [
          c.code,
          c.count,
          c.defined ? "yes" : "no",
          c.attributes.map((a) => `${a.key}: ${a.type}`).join(", "),
        ]),
      ),

    `## Campaigns\n\n${campaigns.total} campaigns (${countsOf(campaigns.byChannel)}); ` +
      `${campaigns.pushResultRows} delivery rows.` +
      (campaigns.oversizedAssets.length > 0
        ? "\n\nAssets over the size limits (images 1 MB, videos 12 MB):\n\n" +
          table(
            ["campaign", "type", "bytes"],
            campaigns.oversizedAssets.map((a) => [a.campaign, a.type, a.sizeBytes]),
          )
        : ""),

    filesSection(report.files),
  ];
  return sections.join("\n\n") + "\n";
}
