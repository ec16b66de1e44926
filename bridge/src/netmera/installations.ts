import { UserSource } from "./journal.js";
import { fetchList, nextPageReader } from "./paging.js";
import { runStep, stringField, type PullContext } from "./pull-context.js";

/**
 * Installation scan through getDeviceTokens: every installation of the app, uninstalled and
 * token-less ones included, with the extId it is linked to
 * (https://user.netmera.com/netmera-developer-guide/api-documentation/api-reference/devices/list-device-tokens).
 * `total` is only an estimate there, so the scan ends on the paging rules, never on `total`.
 * devices.json keeps the push tokens: the snapshot is the customer's own frozen copy, and no
 * other command copies them out of it.
 */
export async function pullInstallations(context: PullContext): Promise<void> {
  const { client, journal, frozen } = context;
  const query = new URLSearchParams({ max: String(frozen.pageSize), offset: "0" });

  await runStep(context, "device-scan", "installation scan", async () => {
    await fetchList(
      client,
      journal,
      "devices",
      { method: "GET", url: `/rest/3.0/getDeviceTokens?${query}` },
      nextPageReader(client, "devices"),
      (items, body) => {
        const extIds = items
          .map((item) => stringField(item, "extId"))
          .filter((id): id is string => id !== undefined);
        journal.addUsers(extIds, UserSource.scan);
        const total = (body as Record<string, unknown> | null)?.total;
        if (typeof total === "number") {
          journal.setMeta("devicesTotalEstimate", String(total));
        }

        context.progress.addItems(items.length);
      },
    );

    // NOTE: an older sample of getDeviceTokens shows {platform, token, deviceModel,
    // pushPermitted} with no extId; entries of that shape count as anonymous here.
    let anonymous = 0;
    const linked = function* () {
      for (const item of journal.items("devices")) {
        if (stringField(item, "extId") === undefined) {
          anonymous += 1;
        }

        yield item;
      }
    };
    const estimate = journal.getMeta("devicesTotalEstimate");
    const count = await context.writer.writeJsonList(
      "devices.json",
      { total: estimate === undefined ? null : Number(estimate) },
      "devices",
      linked(),
    );
    journal.setMeta("anonymousInstallations", String(anonymous));
    return `${count} installations, ${anonymous} without extId`;
  });
}
