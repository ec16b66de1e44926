import type { UserFileSummary } from "./export-users.js";
import { UserSource } from "./journal.js";
import type { PullContext } from "./pull-context.js";
import { readSegments } from "./segments.js";

export interface CoverageSummary {
  totalUsers: number;
  usersInSegments: number;
  usersInNoSegment: number;
  percentInSegments: number;
  segmentsNotExported: number;
}

/**
 * Compare the union of segment members with all known users (installation scan extIds, export
 * users and segment members themselves) and list the users that are in no exported segment.
 */
export async function writeCoverage(context: PullContext): Promise<CoverageSummary> {
  const { journal } = context;
  const totalUsers = journal.countUsers();
  const usersInSegments = journal.countUsers(UserSource.segments);
  const usersInNoSegment = totalUsers - usersInSegments;
  const percentInSegments =
    totalUsers === 0 ? 100 : Math.round((usersInSegments / totalUsers) * 10_000) / 100;
  const segmentsNotExported = readSegments(context)
    .map((segment) => ({
      segment,
      membership: JSON.parse(journal.getMeta(`membership:${segment.id}`) ?? "null") as {
        exportable: boolean;
        reason: string | null;
      } | null,
    }))
    .filter(({ membership }) => membership !== null && !membership.exportable)
    .map(({ segment, membership }) => ({
      id: segment.id,
      name: segment.name,
      type: segment.type,
      reason: membership?.reason ?? null,
    }));
  const exportFiles = JSON.parse(journal.getMeta("exportFiles") ?? "[]") as UserFileSummary[];

  await context.writer.writeJsonList(
    "coverage.json",
    {
      totalUsers,
      usersInSegments,
      usersInNoSegment,
      percentInSegments,
      sources: {
        installationScan: journal.countUsers(UserSource.scan),
        exportFiles: journal.countUsers(UserSource.exports),
        segmentMembers: usersInSegments,
      },
      anonymousInstallations: Number(journal.getMeta("anonymousInstallations") ?? 0),
      segmentsNotExported,
      exportFiles,
    },
    "notInAnySegment",
    journal.usersWithout(UserSource.segments),
  );

  return {
    totalUsers,
    usersInSegments,
    usersInNoSegment,
    percentInSegments,
    segmentsNotExported: segmentsNotExported.length,
  };
}
