import type { Command } from "commander";
import { OdooClient, QUICK_RETRY_POLICY } from "../odoo/client.js";
import {
  addConnectionOptions,
  parsePositiveInt,
  resolveConnection,
  type ConnectionFlags,
} from "../odoo/settings.js";
import {
  attachInventoryPdf,
  describeAttachment,
  fetchRunReconciliation,
} from "../inventory/odoo-run.js";
import { assertChromium, chromiumPathFrom } from "../inventory/render-pdf.js";
import type { RunReconciliation } from "../inventory/view-model.js";
import { writeInventory } from "../inventory/write-inventory.js";
import { assertSnapshotFolder } from "../snapshot/snapshot.js";
import type { CliContext } from "./context.js";

interface InventoryOptions extends ConnectionFlags {
  out: string;
  plan?: string;
  customer?: string;
  chromium?: string;
  run?: string;
}

export function registerInventory(program: Command, context: CliContext): void {
  const command = program
    .command("inventory")
    .description(
      "write the inventory of what does not migrate (journeys, campaigns, segments, widgets, " +
        "surveys, data quality) as inventory.html and inventory.pdf",
    )
    .argument("<snapshot>", "snapshot folder written by pull")
    .requiredOption(
      "--out <dir>",
      "folder for inventory.html and inventory.pdf (created if absent)",
    )
    .option("--plan <dir>", "folder written by plan --out, for the data-quality section")
    .option("--customer <name>", "customer name for the cover page")
    .option(
      "--chromium <path>",
      "Chromium executable for the PDF (default: $CHROMIUM_PATH, else /usr/bin/chromium)",
    )
    .option(
      "--run <id>",
      "migration run in Odoo: add its reconciliation and attach the PDF to it (needs --odoo-url, " +
        "--db, --user and ODOO_PASSWORD)",
    );

  addConnectionOptions(command).action(async (snapshot: string, options: InventoryOptions) => {
    await assertSnapshotFolder(snapshot);
    const chromiumPath = chromiumPathFrom(options.chromium, context.env);
    const runId = parsePositiveInt("--run", options.run);
    await assertChromium(chromiumPath);

    const client =
      runId === undefined
        ? null
        : // A few quick retries: inventory only reads and attaches, and a person is waiting.
          new OdooClient({
            ...resolveConnection(options, context.env),
            logger: context.logger,
            retry: QUICK_RETRY_POLICY,
          });
    try {
      let run: RunReconciliation | undefined;
      if (client && runId !== undefined) {
        run = await fetchRunReconciliation(client, runId);
      }

      const written = await writeInventory({
        snapshotDir: snapshot,
        outDir: options.out,
        planDir: options.plan,
        customer: options.customer,
        run,
        chromiumPath,
        logger: context.logger,
      });

      const lines = written.view.contents.map((entry) => `  ${entry.title}: ${entry.summary}`);
      context.stdout.write(
        `inventory written: ${written.htmlFile}, ${written.pdfFile} (${written.pdfBytes} bytes)\n` +
          `${lines.join("\n")}\n`,
      );

      if (client && runId !== undefined) {
        const attached = await attachInventoryPdf(client, runId, written.pdfFile);
        context.stdout.write(`${describeAttachment(runId, attached)}\n`);
      }
    } finally {
      client?.close();
    }
  });
}
