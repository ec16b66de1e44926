import { existsSync } from "node:fs";
import { join } from "node:path";
import { runStep, stringField, type PullContext } from "./pull-context.js";

/**
 * Write campaigns.json from the REST data when the exports folder brings none. Netmera's REST
 * API has no campaign list with names or content, so each notification key becomes a campaign
 * named after the title of its first delivery row (`msgTitle`), with the statistics beside it.
 */
export async function writeCampaigns(context: PullContext): Promise<void> {
  const { journal, frozen } = context;

  await runStep(context, "campaigns-file", "campaigns.json", async () => {
    if (frozen.exportsDir !== null && existsSync(join(frozen.exportsDir, "campaigns.json"))) {
      return "kept the campaigns.json of the exports folder";
    }

    // Read the rows first: the journal runs one query at a time.
    const messages = Array.from(journal.messages());
    const campaigns = messages.map(({ key, body }) => {
      const content = firstContent(context, key);
      const stats = body as Record<string, unknown>;
      return {
        id: key,
        notificationKey: stringField(stats, "notificationKey") ?? null,
        name: content.title ?? key,
        channel: "PUSH",
        status: stats.status ?? null,
        startDate: stats.startDate ?? null,
        endDate: stats.endDate ?? null,
        content,
        stats: stats.stats ?? [],
        source: "getPushStats",
      };
    });
    await context.writer.writeJsonList("campaigns.json", {}, "campaigns", campaigns);
    return `${campaigns.length} campaigns from push statistics`;
  });
}

function firstContent(
  context: PullContext,
  key: string,
): { title: string | null; text: string | null } {
  for (const row of context.journal.items(`push-result:${key}`)) {
    const title = stringField(row, "msgTitle");
    const text = stringField(row, "msgText");
    if (title !== undefined || text !== undefined) {
      return { title: title ?? null, text: text ?? null };
    }
  }

  return { title: null, text: null };
}
