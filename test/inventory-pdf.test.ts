import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { CHROMIUM_FLAGS, chromiumPathFrom, renderPdf } from "../bridge/src/inventory/render-pdf.js";
import { PLAN_DIR, SNAPSHOT_DIR } from "./fixtures/inventory/support.js";
import { runCli as runCliWith, type CliResult } from "./support/cli.js";

const chromiumPath = chromiumPathFrom(undefined, process.env);
const chromiumAvailable = existsSync(chromiumPath);
const describeChromium = chromiumAvailable ? describe : describe.skip;
if (!chromiumAvailable) {
  console.log(
    `inventory PDF tests skipped: no Chromium at ${chromiumPath} ` +
      '(install it with "apt-get install chromium" or set CHROMIUM_PATH)',
  );
}

function runCli(args: string[]): Promise<CliResult> {
  return runCliWith(args, process.env);
}

describe("inventory command without Chromium", () => {
  it("names the missing path and the install command", async () => {
    const out = mkdtempSync(join(tmpdir(), "inventory-out-"));

    const result = await runCli([
      "inventory",
      SNAPSHOT_DIR,
      "--out",
      out,
      "--chromium",
      "/nonexistent/chromium",
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: Chromium not found at /nonexistent/chromium: install it with "apt-get install ' +
        'chromium", or pass its path with --chromium or CHROMIUM_PATH\n',
    );
    expect(readdirSync(out)).toEqual([]);
  });
});

describeChromium("inventory of a plan from another snapshot", () => {
  it("is rejected with both hashes", async () => {
    const plan = mkdtempSync(join(tmpdir(), "inventory-plan-"));
    cpSync(PLAN_DIR, plan, { recursive: true });
    const manifest = join(plan, "plan", "manifest.json");
    writeFileSync(
      manifest,
      readFileSync(manifest, "utf8").replace(
        /"snapshotHash": "[0-9a-f]+"/,
        `"snapshotHash": "${"a".repeat(64)}"`,
      ),
    );
    const out = mkdtempSync(join(tmpdir(), "inventory-out-"));
    const result = await runCli(["inventory", SNAPSHOT_DIR, "--plan", plan, "--out", out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the plan in ${plan} was made from another snapshot (plan aaaaaaaaaaaa, ${SNAPSHOT_DIR} 337f1ac57200)`,
    );
    expect(readdirSync(out)).toEqual([]);
  });
});

describeChromium("inventory PDF", () => {
  const out = mkdtempSync(join(tmpdir(), "inventory-out-"));
  let stdout = "";
  let text = "";
  let pages = 0;

  beforeAll(async () => {
    const result = await runCli([
      "inventory",
      SNAPSHOT_DIR,
      "--plan",
      PLAN_DIR,
      "--customer",
      "Anadolu Perakende A.Ş.",
      "--out",
      out,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    stdout = result.stdout;
    text = execFileSync("pdftotext", ["-layout", join(out, "inventory.pdf"), "-"], {
      encoding: "utf8",
    });
    const info = execFileSync("pdfinfo", [join(out, "inventory.pdf")], { encoding: "utf8" });
    pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
  });

  it("writes both files and prints the counts", () => {
    expect(readdirSync(out).sort()).toEqual(["inventory.html", "inventory.pdf"]);
    expect(stdout).toContain(`inventory written: ${join(out, "inventory.html")}`);
    expect(stdout).toContain("  Journeys: 3 journeys, 12 steps\n");
    expect(stdout).toContain("  Data quality: 4 anonymous, 3 untagged, 5 quarantined\n");
  });

  it("is an A4 PDF with a page number on every page", () => {
    const info = execFileSync("pdfinfo", [join(out, "inventory.pdf")], { encoding: "utf8" });
    expect(info).toMatch(/Page size:\s+595(\.\d+)? x 84[12](\.\d+)? pts \(A4\)/);
    expect(pages).toBeGreaterThan(8);
    for (let page = 1; page <= pages; page += 1) {
      expect(text).toContain(`Page ${page} of ${pages}`);
    }
  });

  it("holds Turkish letters as text", () => {
    expect(text).toContain("Örnek Market");
    expect(text).toContain("Anadolu Perakende A.Ş.");
    expect(text).toContain("Hoş Geldin Yolculuğu");
    expect(text).toContain("İstanbul VIP Müşteriler");
    expect(text).toContain("ığüşöç İĞÜŞÖÇ");
  });

  it("embeds DejaVu Sans", () => {
    const fonts = execFileSync("pdffonts", [join(out, "inventory.pdf")], { encoding: "utf8" });
    expect(fonts).toMatch(/\+DejaVuSans\s/);
    expect(fonts).toMatch(/\+DejaVuSans-Bold\s/);
  });

  it("shows the widget's script tag as text", () => {
    expect(text).toContain("<script>alert(1)</script>");
    expect(text).toContain("<b>HTML</b>");
  });

  it("holds every section in order", () => {
    const headings = ["Contents", "Journeys", "Campaigns", "Segments", "Widgets", "Surveys"];
    const positions = [...headings, "Not migrated", "Data quality"].map((heading) =>
      text.search(new RegExp(`^\\f?${heading}$`, "m")),
    );
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((left, right) => left - right)).toEqual(positions);
  });

  it("gives each section its page in the contents", () => {
    const contents = execFileSync(
      "pdftotext",
      ["-layout", "-f", "2", "-l", "2", join(out, "inventory.pdf"), "-"],
      { encoding: "utf8" },
    );
    const entries = [...contents.matchAll(/^\d\. (.+?)\s{2,}(\d+)$/gm)].map((match) => ({
      title: match[1] ?? "",
      page: Number(match[2]),
    }));
    expect(entries.map((entry) => entry.title)).toEqual([
      "Journeys",
      "Campaigns",
      "Segments",
      "Widgets",
      "Surveys",
      "Not migrated",
      "Data quality",
    ]);
    for (const { title, page } of entries) {
      const firstLine = execFileSync(
        "pdftotext",
        ["-f", String(page), "-l", String(page), join(out, "inventory.pdf"), "-"],
        { encoding: "utf8" },
      ).split("\n")[0];
      expect(firstLine, `page ${page} should start with ${title}`).toBe(title);
    }
  });

  it("renders the cover and journeys pages as PNG", () => {
    const prefix = join(out, "page");
    execFileSync("pdftoppm", [
      "-png",
      "-r",
      "60",
      "-f",
      "1",
      "-l",
      "2",
      join(out, "inventory.pdf"),
      prefix,
    ]);
    const images = readdirSync(out).filter((file) => file.startsWith("page"));
    expect(images.sort()).toEqual(["page-01.png", "page-02.png"]);
    const header = readFileSync(join(out, "page-01.png")).subarray(1, 4).toString("ascii");
    expect(header).toBe("PNG");
  });

  it("has no script element in the DOM", async () => {
    const context = await chromium.launchPersistentContext(
      mkdtempSync(join(tmpdir(), "inventory-dom-")),
      { executablePath: chromiumPath, headless: true, args: CHROMIUM_FLAGS, offline: true },
    );
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.setContent(readFileSync(join(out, "inventory.html"), "utf8"));
      expect(await page.locator("script").count()).toBe(0);
      expect(await page.locator("b").count()).toBe(0);
      const widgetText = await page.locator("#widgets .card p.source-text").nth(1).textContent();
      expect(widgetText).toBe(
        "Merhaba! <script>alert(1)</script> ve <b>HTML</b> içerik burada metin olarak görünmeli.",
      );
    } finally {
      await context.close();
    }
  });
});

describeChromium("inventory PDF network", () => {
  let server: Server;
  let requests = 0;
  let port = 0;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests += 1;
      response.end("x");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("blocks every request of the page", async () => {
    const out = mkdtempSync(join(tmpdir(), "inventory-net-"));
    const html =
      `<html><body><img src="http://127.0.0.1:${port}/logo.png">` +
      `<link rel="stylesheet" href="http://127.0.0.1:${port}/style.css">Şirket</body></html>`;

    await renderPdf(html, "<span></span>", join(out, "page.pdf"), {
      chromiumPath,
      logger: silentLogger,
    });

    expect(requests).toBe(0);
    expect(execFileSync("pdftotext", [join(out, "page.pdf"), "-"], { encoding: "utf8" })).toContain(
      "Şirket",
    );
  });
});
