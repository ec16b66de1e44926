import type { Command } from "commander";
import { runAudit } from "../audit/run-audit.js";
import type { CliContext } from "./context.js";

export function registerAudit(program: Command, context: CliContext): void {
  program
    .command("audit")
    .description(
      "write a discovery report (audit.md, audit.json): counts, segment coverage, event schema, push-token volume, GDPR scope",
    )
    .argument("<snapshot>", "snapshot folder")
    .option("--out <dir>", "folder that receives the report", "audit")
    .action(async (snapshotDir: string, options: { out: string }) => {
      const { report, files, warnings } = await runAudit(snapshotDir, options.out, context.logger);
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
