import { NetmeraApiError } from "../core/errors.js";
import { UserSource } from "./journal.js";
import { fetchList, nextPageReader } from "./paging.js";
import { listField, runStep, stringField, type PullContext } from "./pull-context.js";
import { fileNameFor } from "./pull-options.js";

interface SegmentSummary {
  id: string;
  name: string | null;
  type: string | null;
  userCount: number | null;
  raw: Record<string, unknown>;
}

interface Membership {
  exportable: boolean;
  file: string | null;
  members: number;
  reason: string | null;
  /** Reason the list may not match the segment's members at one moment, set when it changed while read. */
  changedWhileRead?: string;
}

/**
 * Netmera codes with which getSegmentUsers turns a segment down: 2001 for segments whose
 * membership cannot be listed (CONNECTORS_SEGMENT, per
 * https://user.netmera.com/netmera-developer-guide/api-documentation/api-reference/segments-and-targeting/list-segment-users)
 * and 5042 for a segment deleted since the list was read.
 */
const NOT_EXPORTABLE_CODES = new Set([2001, 5042]);

/**
 * Segment list, membership of every segment that allows it, and segments.json with frozen rule
 * text. Netmera recalculates segments, so each one is frozen as it was at pull time.
 */
export async function pullSegments(
  context: PullContext,
  rules: Map<string, string>,
): Promise<void> {
  const { client, journal } = context;

  await runStep(context, "segment-list", "segment list", async () => {
    // getSegments returns at most 1000 active, fully calculated segments, newest first, unpaged
    // (https://user.netmera.com/netmera-developer-guide/api-documentation/api-reference/segments-and-targeting/list-segments).
    const response = await client.request({ method: "GET", url: "/rest/3.0/getSegments" });
    const list = listField(response.body, "list");
    journal.transaction(() => {
      journal.setMeta("segments", JSON.stringify(list));
      journal.setMeta("segmentsFrozenAt", nowIso(context));
    });
    return `${list.length} segments`;
  });

  const segments = readSegments(context);
  for (const segment of segments) {
    await runStep(context, `segment:${segment.id}`, `segment ${segment.id} members`, () =>
      pullMembership(context, segment),
    );
  }

  await runStep(context, "segments-file", "segments.json", async () => {
    const frozenAt = journal.getMeta("segmentsFrozenAt") ?? nowIso(context);
    const list = segments.map((segment) => {
      const membership = JSON.parse(
        journal.getMeta(`membership:${segment.id}`) ?? "null",
      ) as Membership | null;
      const rule = rules.get(segment.id) ?? (segment.name ? rules.get(segment.name) : undefined);
      return {
        ...segment.raw,
        dynamic: true,
        frozenAt,
        rule: rule ?? null,
        ruleSource: rule === undefined ? null : "segment-rules.json",
        membership,
      };
    });
    await context.writer.writeJson("segments.json", { frozenAt, list });
    const withRules = list.filter((segment) => segment.rule !== null).length;
    return `${list.length} segments written, ${withRules} with frozen rule text`;
  });
}

export function readSegments(context: PullContext): SegmentSummary[] {
  const raw = JSON.parse(context.journal.getMeta("segments") ?? "[]") as unknown[];
  return raw.map((item) => {
    const record = (item ?? {}) as Record<string, unknown>;
    return {
      id: stringField(record, "id") ?? "",
      name: stringField(record, "name") ?? null,
      type: stringField(record, "type") ?? null,
      userCount: typeof record.userCount === "number" ? record.userCount : null,
      raw: record,
    };
  });
}

async function pullMembership(context: PullContext, segment: SegmentSummary): Promise<string> {
  const { client, journal, frozen } = context;
  if (segment.id === "") {
    const reason = "getSegments returned this segment without an id";
    const membership: Membership = { exportable: false, file: null, members: 0, reason };
    journal.setMeta(`membership:${segment.id}`, JSON.stringify(membership));
    context.logger.warn({ name: segment.name }, reason);
    return `not exportable: ${reason}`;
  }

  const list = `segment:${segment.id}`;
  const query = new URLSearchParams({ id: segment.id, max: String(frozen.pageSize) });
  const fetchMembers = () =>
    fetchList(
      client,
      journal,
      list,
      { method: "GET", url: `/rest/3.0/getSegmentUsers?${query}` },
      nextPageReader(client, "list"),
      (items) => {
        const extIds = items.map((item) => stringField(item, "externalId"));
        journal.addUsers(
          extIds.filter((id): id is string => id !== undefined),
          UserSource.segments,
        );
        context.progress.addItems(items.length);
      },
    );
  let changedWhileRead: string | undefined;
  try {
    await fetchMembers();
    // Pages are read by offset, so a segment recalculated meanwhile lists some members twice
    // and leaves out others. Such a list is read once more from its first page.
    changedWhileRead = membershipChange(journal, list, segment);
    if (changedWhileRead !== undefined) {
      context.logger.warn(
        { segment: segment.id, change: changedWhileRead },
        "segment changed while its members were read; reading it again",
      );
      journal.resetList(list);
      await fetchMembers();
      changedWhileRead = membershipChange(journal, list, segment);
    }
  } catch (error) {
    if (!isNotExportable(error) || journal.listState(list) !== undefined) {
      throw error;
    }

    const reason = (error as NetmeraApiError).message;
    const membership: Membership = { exportable: false, file: null, members: 0, reason };
    journal.setMeta(`membership:${segment.id}`, JSON.stringify(membership));
    context.logger.warn(
      { segment: segment.id, type: segment.type },
      "segment membership is not exportable",
    );
    return `not exportable (${segment.type ?? "unknown type"}): ${reason}`;
  }

  const file = `segment-users/${fileNameFor(segment.id)}.json`;
  const members = await context.writer.writeJsonList(
    file,
    { id: segment.raw.id, name: segment.name, frozenAt: journal.getMeta("segmentsFrozenAt") },
    "list",
    journal.items(list),
  );
  const membership: Membership = {
    exportable: true,
    file,
    members,
    reason: null,
    ...(changedWhileRead === undefined ? {} : { changedWhileRead }),
  };
  journal.setMeta(`membership:${segment.id}`, JSON.stringify(membership));
  if (changedWhileRead !== undefined) {
    context.logger.warn(
      { segment: segment.id, change: changedWhileRead },
      "segment changed again while read a second time; its member list may miss users who joined during the pull",
    );
    return `${members} members (changed while read: ${changedWhileRead})`;
  }
  return `${members} members`;
}

/**
 * Describe how a fetched member list shows that the segment changed while it was read: a
 * member listed twice. A count other than getSegments gave is only reported, since that count
 * may date from the segment's last calculation. Undefined for a sound list.
 */
function membershipChange(
  journal: PullContext["journal"],
  list: string,
  segment: SegmentSummary,
): string | undefined {
  const repeated = journal.repeatedItems(list, "externalId");
  if (repeated > 0) {
    const count = journal.itemCount(list);
    const counted =
      segment.userCount === null
        ? ""
        : `; ${count} listed, getSegments counted ${segment.userCount}`;
    return `${repeated} member(s) listed twice${counted}`;
  }
  return undefined;
}

function isNotExportable(error: unknown): boolean {
  return (
    error instanceof NetmeraApiError &&
    error.httpStatus === 400 &&
    error.netmeraCode !== undefined &&
    NOT_EXPORTABLE_CODES.has(error.netmeraCode)
  );
}

function nowIso(context: PullContext): string {
  return (context.options.now?.() ?? new Date()).toISOString();
}
