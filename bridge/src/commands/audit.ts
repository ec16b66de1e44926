import type { Command } from "commander";
import { runAudit } from "../audit/run-audit.js";
import { parseEncodingOptions } from "../snapshot/snapshot.js";
import type { CliContext } from "./context.js";

export function registerAudit(program: Command, context: CliContext): void {
  program
    .command("audit")
    .description(
      "write a discovery report (audit.md, audit.json): counts, segment coverage, event schema, push-token volume, GDPR scope",
    )
    .argument("<snapshot>", "snapshot folder")
    .option("--out <dir>", "folder that receives the report", "audit")
    .option(
      "--encoding <file=encoding>",
      "read a snapshot file in this encoding (latin1, windows-1254, windows-1252, iso-8859-9, " +
        "utf-8 …) instead of detecting it; repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(async (snapshotDir: string, options: { out: string; encoding: string[] }) => {
      const { report, files, warnings } = await runAudit(
        snapshotDir,
        options.out,
        context.logger,
        new Date(),
        parseEncodingOptions(options.encoding),
      );
      for (const warning of warnings) {
        context.stderr.write(`${warning}\n`);
      }
      const { users, segmentCoverage, gdpr, pushTokens, events } = report;
      context.stdout.write(
        `${users.total} users (${users.anonymous} anonymous), ${events.total} events, ` +
          `${pushTokens.withPushToken} push tokens\n` +
          `segment coverage ${segmentCoverage.coveragePercent}% ` +
          `(${segmentCoverage.usersInNoSegment} users in no segment); ` +
          `${gdpr.euEeaUsers} users in EU/EEA countries; ${report.tags.usersWithNoTag} users without a tag\n` +
          `wrote ${files.join(", ")}\n`,
      );
    });
}
