import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { planSnapshotMismatch } from "../migrate/plan-files.js";
import { readPlanQuality } from "./read-plan.js";
import { readInventorySnapshot } from "./read-snapshot.js";
import { loadInventoryTemplates } from "./render-html.js";
import { assertChromium, renderPdf } from "./render-pdf.js";
import { buildInventoryView, type InventoryView, type RunReconciliation } from "./view-model.js";

export interface WriteInventoryOptions {
  snapshotDir: string;
  outDir: string;
  chromiumPath: string;
  logger: Logger;
  planDir?: string;
  customer?: string;
  run?: RunReconciliation;
  templateDir?: string;
  /** Generation time shown on the cover (default: now). */
  now?: Date;
}

export interface WrittenInventory {
  htmlFile: string;
  pdfFile: string;
  pdfBytes: number;
  view: InventoryView;
}

/** Return the view with the PDF page of each section set in its contents entry. */
function withContentsPages(
  view: InventoryView,
  pages: ReadonlyMap<string, number> | null,
): InventoryView {
  const contents = view.contents.map((entry) => ({ ...entry, page: pages?.get(entry.id) ?? null }));
  return { ...view, contents };
}

/**
 * Refuse a plan made from another snapshot, whose data-quality figures would describe other
 * data. The snapshot's files are checked against its manifest on the way.
 */
async function assertPlanOfSnapshot(
  planDir: string,
  snapshotDir: string,
  logger: Logger,
): Promise<void> {
  const mismatch = await planSnapshotMismatch(planDir, snapshotDir, logger);
  if (!mismatch) return;
  throw new ConfigError(
    `${mismatch}, so its data-quality figures do not describe ` +
      `this snapshot. Plan this snapshot first (netmera-odoo plan ${snapshotDir} --out ${planDir}), ` +
      "or leave out --plan.",
  );
}

/**
 * Build the written inventory of a snapshot: `inventory.html` and `inventory.pdf` in `outDir`.
 * Both are written under temporary names and renamed at the end, so a failure leaves neither
 * a partial file nor a PDF that disagrees with the HTML.
 */
export async function writeInventory(options: WriteInventoryOptions): Promise<WrittenInventory> {
  const { logger } = options;
  await assertChromium(options.chromiumPath);

  const snapshot = await readInventorySnapshot(options.snapshotDir, logger);
  if (options.planDir) {
    await assertPlanOfSnapshot(options.planDir, options.snapshotDir, logger);
  }
  const plan = options.planDir ? await readPlanQuality(options.planDir) : null;
  const view = buildInventoryView(snapshot, {
    plan,
    run: options.run ?? null,
    customer: options.customer,
    now: options.now,
  });
  const templates = await loadInventoryTemplates(options.templateDir);
  const html = templates.html(view);
  const pagedHtml = (pages: ReadonlyMap<string, number> | null) =>
    templates.html(withContentsPages(view, pages));

  await mkdir(options.outDir, { recursive: true });
  const htmlFile = join(options.outDir, "inventory.html");
  const pdfFile = join(options.outDir, "inventory.pdf");
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(htmlFile + suffix, html, "utf8");
    await renderPdf(pagedHtml, templates.footer(view), pdfFile + suffix, {
      chromiumPath: options.chromiumPath,
      logger,
    });
    await rename(htmlFile + suffix, htmlFile);
    await rename(pdfFile + suffix, pdfFile);
  } finally {
    await rm(htmlFile + suffix, { force: true });
    await rm(pdfFile + suffix, { force: true });
  }

  const pdfBytes = (await stat(pdfFile)).size;
  logger.info({ htmlFile, pdfFile, pdfBytes }, "inventory written");
  return { htmlFile, pdfFile, pdfBytes, view };
}
