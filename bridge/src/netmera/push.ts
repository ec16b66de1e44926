import { createHash } from "node:crypto";
import { writeCampaigns } from "./campaigns.js";
import { fetchList, nextPageReader } from "./paging.js";
import { listField, runStep, stringField, type PullContext } from "./pull-context.js";
import { fileNameFor, monthlyWindows } from "./pull-options.js";

/**
 * Push statistics by monthly windows through getPushStats (start and end in epoch
 * milliseconds), then every notification's per-user delivery rows through getPushResult,
 * following `nextPage`
 * (https://user.netmera.com/netmera-developer-guide/api-documentation/rest-api/notifications.md).
 */
export async function pullPush(context: PullContext): Promise<void> {
  const { client, journal, frozen } = context;
  const since = new Date(frozen.since);
  const until = new Date(frozen.until);
  const windows = monthlyWindows(since, until);

  for (const window of windows) {
    const label = `push statistics ${new Date(window.start).toISOString().slice(0, 7)}`;
    await runStep(context, `push-stats:${window.start}`, label, async () => {
      const query = new URLSearchParams({ start: String(window.start), end: String(window.end) });
      const response = await client.request({
        method: "GET",
        url: `/rest/3.0/getPushStats?${query}`,
      });
      const messages = listField(response.body, "messages");
      journal.transaction(() => {
        for (const message of messages) {
          journal.addMessage(messageKey(message), window.start, message);
        }
      });
      context.progress.addItems(messages.length);
      return `${messages.length} notifications`;
    });
  }

  await runStep(context, "push-stats-file", "push-stats.json", async () => {
    const head = { since: frozen.since, until: frozen.until, windows: windows.length };
    const bodies = function* () {
      for (const message of journal.messages()) {
        yield message.body;
      }
    };
    const count = await context.writer.writeJsonList("push-stats.json", head, "messages", bodies());
    return `${count} notifications`;
  });

  // Read the keys first: the journal cannot be written while one of its queries is open.
  const keyed = Array.from(journal.messages()).filter(
    (message) => stringField(message.body, "notificationKey") !== undefined,
  );
  for (const message of keyed) {
    await runStep(context, `push-result:${message.key}`, `push results ${message.key}`, () =>
      pullPushResults(context, message.key, message.windowStart),
    );
  }

  await writeCampaigns(context);
}

async function pullPushResults(context: PullContext, key: string, start: number): Promise<string> {
  const { client, journal, frozen } = context;
  const end = new Date(frozen.until).getTime();
  const list = `push-result:${key}`;
  // Without start and end getPushResult covers only the last two weeks, so both are given.
  // NOTE: Netmera does not document whether the range filters by send time or by row time. The
  // range runs from the statistics window of the notification to --until, so it covers both.
  const query = new URLSearchParams({
    notificationKey: key,
    start: String(start),
    end: String(end),
    max: String(frozen.pageSize),
  });
  await fetchList(
    client,
    journal,
    list,
    { method: "GET", url: `/rest/3.0/getPushResult?${query}` },
    nextPageReader(client, "list"),
    (items) => context.progress.addItems(items.length),
  );
  const count = await context.writer.writeJsonList(
    `push-results/${fileNameFor(key)}.json`,
    { notificationKey: key, start, end },
    "list",
    journal.items(list),
  );
  return `${count} delivery rows`;
}

/** Return the notification key, or a content hash for the rare statistics row without one. */
function messageKey(message: unknown): string {
  const key = stringField(message, "notificationKey");
  if (key !== undefined) {
    return key;
  }

  return `unkeyed:${createHash("sha256").update(JSON.stringify(message)).digest("hex").slice(0, 16)}`;
}
