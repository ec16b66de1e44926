import { constants } from "node:fs";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { BridgeError, ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { readNamedDestinationPages } from "./pdf-destinations.js";

/** Chromium of Debian's `chromium` package, unless `--chromium` or `CHROMIUM_PATH` is set. */
export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Chromium flags for a machine without a display or GPU that must not reach the network, so
 * background services (component updates, sync, QUIC probes) are switched off. The sandbox is
 * off because it needs user namespaces, which containers often lack. The page that Chromium
 * renders is our own escaped HTML under a policy that forbids scripts.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface PdfOptions {
  chromiumPath: string;
  logger: Logger;
  /** Milliseconds for launch, page load and printing each. */
  timeoutMs?: number;
}

/** Resolve the Chromium path: the option, then `CHROMIUM_PATH`, then the Debian default. */
export function chromiumPathFrom(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option ?? env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
}

async function printPage(page: Page, html: string, footerTemplate: string): Promise<Buffer> {
  await page.setContent(html, { waitUntil: "load" });
  // A string, because the bridge compiles without DOM types.
  await page.evaluate("document.fonts.ready.then(() => true)");
  return page.pdf({
    format: "A4",
    printBackground: true,
    displayHeaderFooter: true,
    headerTemplate: "<span></span>",
    footerTemplate,
    margin: { top: "16mm", bottom: "18mm", left: "16mm", right: "16mm" },
    outline: true,
    tagged: true,
  });
}

function samePages(left: ReadonlyMap<string, number>, right: ReadonlyMap<string, number>): boolean {
  return left.size === right.size && [...left].every(([id, page]) => right.get(id) === page);
}

/** Raise a clear error when no Chromium executable is at `path`. */
export async function assertChromium(path: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch (error) {
    throw new ConfigError(
      `Chromium not found at ${path}: install it with "apt-get install chromium", ` +
        "or pass its path with --chromium or CHROMIUM_PATH",
      { cause: error },
    );
  }
}

/**
 * Say in one line why Chromium at `path` did not start, from Playwright's launch error: the exit
 * code or signal, and the first line the program wrote to standard error, when there is one.
 */
export function launchFailure(path: string, playwrightMessage: string): string {
  const exit = /exitCode=(\d+|null), signal=(\w+)/.exec(playwrightMessage);
  const stderr = /\[pid=\d+\]\[err\] (.*)/.exec(playwrightMessage)?.[1]?.trim();
  let reason: string;
  if (exit && exit[2] !== "null") reason = `it was stopped by signal ${exit[2]}`;
  else if (exit && exit[1] !== "null") reason = `it exited with code ${exit[1]}`;
  else {
    const first = playwrightMessage.split("\n", 1)[0] ?? "";
    reason = first.replace(/^browserType\.\w+: /, "").replace(/\.$/, "");
  }
  if (stderr) reason += ` (${stderr.length > 200 ? `${stderr.slice(0, 200)}…` : stderr})`;
  return (
    `Chromium at ${path} failed to start: ${reason}; install Chromium ` +
    '("apt-get install chromium") or pass a working one with --chromium or CHROMIUM_PATH'
  );
}

/** HTML to print, given the page of each anchor in the previous print (null on the first). */
export type PagedHtml = (pages: ReadonlyMap<string, number> | null) => string;

/** Maximum number of prints. The contents' page numbers settle after the second one. */
const MAX_PASSES = 3;

/**
 * Print an HTML document to an A4 PDF with headless Chromium. The page gets no network: every
 * request it makes is aborted and logged, because the document is self-contained. When `html`
 * is a function, the document is printed again with the page of each anchor until those pages
 * stop changing, so that a table of contents can show page numbers.
 */
export async function renderPdf(
  html: string | PagedHtml,
  footerTemplate: string,
  outFile: string,
  options: PdfOptions,
): Promise<void> {
  await assertChromium(options.chromiumPath);
  const timeout = options.timeoutMs ?? 60_000;
  const userDataDir = await mkdtemp(join(tmpdir(), "netmera-inventory-chromium-"));
  const source: PagedHtml = typeof html === "string" ? () => html : html;
  let blocked = 0;

  try {
    const context = await chromium
      .launchPersistentContext(userDataDir, {
        executablePath: options.chromiumPath,
        headless: true,
        args: CHROMIUM_FLAGS,
        offline: true,
        timeout,
      })
      .catch((error: unknown) => {
        // Playwright's message contains the whole command line and its call log, kept for debugging.
        options.logger.debug(
          { chromiumPath: options.chromiumPath, launchLog: (error as Error).message },
          "Chromium launch failed",
        );
        throw new BridgeError(launchFailure(options.chromiumPath, (error as Error).message), {
          cause: error,
        });
      });

    try {
      await context.route("**/*", async (route) => {
        blocked += 1;
        options.logger.warn({ url: route.request().url() }, "inventory page request blocked");
        await route.abort("blockedbyclient");
      });
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(timeout);
      let pages: Map<string, number> | null = null;
      let pdf: Buffer = Buffer.alloc(0);
      for (let pass = 1; pass <= MAX_PASSES; pass += 1) {
        pdf = await printPage(page, source(pages), footerTemplate);
        if (typeof html === "string") {
          break;
        }

        const found = readNamedDestinationPages(pdf);
        if (found === null) {
          options.logger.warn("no page numbers found in the PDF; the contents show none");
          break;
        }

        if (pages !== null && samePages(pages, found)) {
          break;
        }
        pages = found;
      }
      await writeFile(outFile, pdf);
    } finally {
      await context.close();
    }
  } finally {
    await rm(userDataDir, { recursive: true, force: true });
  }

  options.logger.info({ outFile, blockedRequests: blocked }, "inventory PDF written");
}
