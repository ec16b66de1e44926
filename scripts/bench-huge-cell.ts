/**
 * Memory of the CSV reader while a huge cell streams by.
 *
 *   npx tsx scripts/bench-huge-cell.ts [--mb 200] [--quoted]
 *
 * Writes a users CSV whose second row has one cell of `--mb` million characters (quoted and
 * spread over lines with `--quoted`), reads it through the snapshot reader and prints the rows,
 * their problems and the process's peak resident memory (maxRSS).
 */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { silentLogger } from "../bridge/src/core/log.js";
import { openTable } from "../bridge/src/snapshot/table.js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function writeFile(path: string, megaChars: number, quoted: boolean): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) {
      await once(out, "drain");
    }
  };
  await write("extId,email,note\nu1,u1@example.com,short\n");
  await write(quoted ? 'u2,u2@example.com,"' : "u2,u2@example.com,");
  const piece = quoted ? "abcdefghi\n".repeat(100_000) : "x".repeat(1_000_000);
  for (let i = 0; i < megaChars; i += 1) {
    await write(piece);
  }
  await write(quoted ? '"\n' : "\n");
  await write("u3,u3@example.com,after\n");
  out.end();
  await once(out, "finish");
}

async function main(): Promise<void> {
  const megaChars = Number(option("mb", "200"));
  const quoted = process.argv.includes("--quoted");
  const dir = mkdtempSync(join(tmpdir(), "bench-huge-cell-"));
  try {
    const path = join(dir, "users.csv");
    await writeFile(path, megaChars, quoted);
    const rssBefore = process.resourceUsage().maxRSS / 1024;
    const started = process.hrtime.bigint();
    const table = await openTable(path, "users/huge.csv", silentLogger);
    const rows: { line: number; problem?: string }[] = [];
    for await (const row of table.rows()) {
      rows.push({ line: row.line, problem: row.problem });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(
      `${JSON.stringify({ megaChars, quoted, rows, seconds: Number(seconds.toFixed(1)), rssBeforeMb: Math.round(rssBefore), maxRssMb })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
