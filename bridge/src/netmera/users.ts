import { NetmeraApiError } from "../core/errors.js";
import type { UserResultColumn } from "./journal.js";
import { inboxCursorReader } from "./paging.js";
import { listField, runStep, type PullContext } from "./pull-context.js";

const DEFAULT_PART_SIZE = 100_000;

/** Inbox page size; Netmera's default is 20 messages (`numberOfNotification`). */
const INBOX_PAGE_SIZE = 100;

/** Inbox `status` 7 selects read, unread and deleted messages alike. */
const INBOX_ALL_STATUSES = 7;

interface PerUserFetch {
  column: UserResultColumn;
  label: string;
  folder: string;
  fetch: (extId: string) => Promise<unknown>;
}

/**
 * Per-user reads for every user the pull has seen (installation scan, export files, segment
 * members): the profile, all devices, and optionally the inbox. Netmera has no bulk read of
 * profiles, so this is one request per user and endpoint, throttled like every other request.
 */
export async function pullUsers(context: PullContext): Promise<void> {
  const fetches: PerUserFetch[] = [
    {
      column: "profile",
      label: "profiles",
      folder: "profiles",
      fetch: (id) => profileOf(context, id),
    },
    {
      column: "devices",
      label: "user devices",
      folder: "user-devices",
      fetch: (id) => devicesOf(context, id),
    },
  ];
  if (context.frozen.inbox) {
    fetches.push({
      column: "inbox",
      label: "inbox",
      folder: "inbox",
      fetch: (id) => inboxOf(context, id),
    });
  }

  for (const item of fetches) {
    await runStep(context, `users:${item.column}`, item.label, async () => {
      const failed = await fetchForAllUsers(context, item);
      const written = await context.writer.writeNdjsonParts(
        item.folder,
        context.journal.userResults(item.column),
        context.options.partSize ?? DEFAULT_PART_SIZE,
      );
      return `${written} users, ${failed} rejected by Netmera (kept in ${item.folder}/)`;
    });
  }
}

/**
 * Work through the users still missing `column`, `concurrency` requests at a time. Each response
 * is committed on its own, so a restarted pull requests only the users still missing.
 */
async function fetchForAllUsers(context: PullContext, item: PerUserFetch): Promise<number> {
  const { journal } = context;
  let batch: string[] = [];
  let cursor = "";
  let failed = 0;
  let stopped: unknown;

  const nextUser = (): string | undefined => {
    if (batch.length === 0) {
      batch = journal.pendingUsers(item.column, cursor, 1000);
      const last = batch[batch.length - 1];
      if (last !== undefined) {
        cursor = last;
      }
    }

    return batch.shift();
  };

  const worker = async () => {
    for (let extId = nextUser(); extId !== undefined && stopped === undefined; extId = nextUser()) {
      try {
        const result = await item.fetch(extId);
        if ((result as { error?: unknown }).error !== undefined) {
          failed += 1;
        }

        journal.setUserResult(extId, item.column, result);
        context.progress.addItems(1);
      } catch (error) {
        stopped ??= error;
      }
    }
  };

  const workers = Array.from({ length: Math.max(1, context.options.concurrency) }, worker);
  await Promise.all(workers);
  if (stopped !== undefined) {
    throw stopped;
  }

  return failed;
}

/**
 * Keep a 400 response as the user's result, because it concerns this one user (for example
 * code 5016, extId not found). Any other failure stops the pull.
 */
async function perUserRequest(
  context: PullContext,
  extId: string,
  url: string,
  toResult: (body: unknown) => Record<string, unknown>,
): Promise<unknown> {
  try {
    const response = await context.client.request({ method: "GET", url });
    return { extId, ...toResult(response.body) };
  } catch (error) {
    if (!(error instanceof NetmeraApiError) || error.httpStatus !== 400) {
      throw error;
    }

    context.logger.debug({ extId, netmeraCode: error.netmeraCode }, "per-user request rejected");
    return { extId, error: { netmeraCode: error.netmeraCode ?? null, message: error.message } };
  }
}

/** getProfileAttributes: `{extId, profile}`; only attributes still defined are returned. */
function profileOf(context: PullContext, extId: string): Promise<unknown> {
  const query = new URLSearchParams({ extId });
  return perUserRequest(context, extId, `/rest/3.0/getProfileAttributes?${query}`, (body) => ({
    profile: (body as Record<string, unknown> | null)?.profile ?? null,
  }));
}

/**
 * getDevices with pushPermitted=false returns every installed device of the user, not only
 * the opted-in ones (https://user.netmera.com/netmera-developer-guide/api-documentation/api-reference/devices/get-user-devices).
 */
function devicesOf(context: PullContext, extId: string): Promise<unknown> {
  const query = new URLSearchParams({ extId, pushPermitted: "false" });
  return perUserRequest(context, extId, `/rest/3.0/getDevices?${query}`, (body) => ({
    devices: listField(body, "devices"),
  }));
}

async function inboxOf(context: PullContext, extId: string): Promise<unknown> {
  const read = inboxCursorReader();
  const msgs: unknown[] = [];
  let request: Parameters<typeof context.client.request>[0] | null = {
    method: "POST",
    url: "/rest/3.0/inbox/getAllInbox",
    body: { extId, status: INBOX_ALL_STATUSES, numberOfNotification: INBOX_PAGE_SIZE },
  };
  while (request !== null) {
    const response = await context.client.request(request);
    const page = read(response, request);
    msgs.push(...page.items);
    request = page.next;
  }

  return { extId, msgs };
}
