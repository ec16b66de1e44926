import type { Command } from "commander";
import { chromiumPathFrom } from "../inventory/render-pdf.js";
import { writeInventory } from "../inventory/write-inventory.js";
import type { CliContext } from "./context.js";

interface InventoryOptions {
  out: string;
  plan?: string;
  customer?: string;
  chromium?: string;
}

export function registerInventory(program: Command, context: CliContext): void {
  program
    .command("inventory")
    .description(
      "Write the inventory of what does not migrate (journeys, campaigns, segments, widgets, " +
        "surveys, data quality) as inventory.html and inventory.pdf.",
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
    .action(async (snapshot: string, options: InventoryOptions) => {
      const written = await writeInventory({
        snapshotDir: snapshot,
        outDir: options.out,
        planDir: options.plan,
        customer: options.customer,
        chromiumPath: chromiumPathFrom(options.chromium, context.env),
        logger: context.logger,
      });

      const lines = written.view.contents.map((entry) => `  ${entry.title}: ${entry.summary}`);
      context.stdout.write(
        `inventory written: ${written.htmlFile}, ${written.pdfFile} (${written.pdfBytes} bytes)\n` +
          `${lines.join("\n")}\n`,
      );
    });
}
