import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { BridgeError } from "../core/errors.js";
import type { InventoryView } from "./view-model.js";

/** `templates/inventory` at the repository root, at the same depth from src/ and from dist/. */
export const DEFAULT_TEMPLATE_DIR = fileURLToPath(
  new URL("../../../templates/inventory/", import.meta.url),
);

export interface RenderedInventory {
  /** The self-contained HTML document. */
  html: string;
  /** Chromium's PDF footer template with page numbers. */
  footer: string;
}

/** The compiled inventory templates. */
export interface InventoryTemplates {
  html(view: InventoryView): string;
  footer(view: InventoryView): string;
}

/**
 * Compile the Handlebars templates in `templateDir`. The templates use only double-stash
 * expressions for data, so every string from the snapshot is HTML-escaped. The one
 * triple-stash inserts this project's stylesheet.
 */
export async function loadInventoryTemplates(
  templateDir: string = DEFAULT_TEMPLATE_DIR,
): Promise<InventoryTemplates> {
  const handlebars = Handlebars.create();
  const partialDir = join(templateDir, "partials");
  let partialFiles: string[];
  try {
    partialFiles = (await readdir(partialDir)).filter((file) => file.endsWith(".hbs"));
  } catch (error) {
    throw new BridgeError(`inventory templates not found in ${partialDir}`, { cause: error });
  }

  for (const file of partialFiles) {
    handlebars.registerPartial(
      basename(file, ".hbs"),
      await readFile(join(partialDir, file), "utf8"),
    );
  }

  const compileOptions = { strict: true };
  const layout = handlebars.compile(await readTemplate(templateDir, "layout.hbs"), compileOptions);
  const footer = handlebars.compile(await readTemplate(templateDir, "footer.hbs"), compileOptions);
  const stylesheet = await readTemplate(templateDir, "inventory.css");

  return {
    html: (view) => layout({ ...view, stylesheet }),
    footer: (view) => footer(view),
  };
}

/** Render the inventory HTML and the PDF footer once. */
export async function renderInventoryHtml(
  view: InventoryView,
  templateDir: string = DEFAULT_TEMPLATE_DIR,
): Promise<RenderedInventory> {
  const templates = await loadInventoryTemplates(templateDir);
  return { html: templates.html(view), footer: templates.footer(view) };
}

async function readTemplate(templateDir: string, file: string): Promise<string> {
  try {
    return await readFile(join(templateDir, file), "utf8");
  } catch (error) {
    throw new BridgeError(`inventory template ${file} not found in ${templateDir}`, {
      cause: error,
    });
  }
}
