import { createHash, randomBytes, type Hash } from "node:crypto";
import { createWriteStream, readdirSync, readFileSync, rmSync, type WriteStream } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { canonicalJson, hashOfJson } from "./row-hash.js";
import type { FlagEntry, PlanRow, QuarantineEntry } from "./types.js";

const FLUSH_CHARS = 1 << 20;

/** A text file written through a buffer, waiting for the stream to drain when it is full. */
class BufferedFile {
  private readonly stream: WriteStream;
  private buffer: string[] = [];
  private size = 0;
  /** sha256 of the bytes written so far, fed chunk by chunk as they go to the stream. */
  private readonly hash: Hash = createHash("sha256");
  private digest: string | undefined;
  lines = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  /**
   * Append a line (or `lines` lines in one text). Returns a promise only when the buffer was flushed and the stream is full,
   * so that hot loops await once per megabyte instead of once per row.
   */
  write(text: string, lines = 1): Promise<void> | undefined {
    this.buffer.push(text);
    this.size += text.length;
    this.lines += lines;
    if (this.size >= FLUSH_CHARS) {
      return this.flush();
    }
    return undefined;
  }

  async flush(): Promise<void> {
    if (this.size === 0) {
      return;
    }
    const chunk = this.buffer.join("");
    this.buffer = [];
    this.size = 0;
    this.hash.update(chunk, "utf8");
    if (!this.stream.write(chunk)) {
      await once(this.stream, "drain");
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, "close");
    this.digest ??= this.hash.digest("hex");
  }

  /** sha256 (hex) of the whole file; known once the file is closed. */
  get sha256(): string | undefined {
    return this.digest;
  }
}

/**
 * Make a cell safe to open in a spreadsheet. Text that a spreadsheet would run as a formula
 * (starting with =, +, -, @, tab or carriage return) gets a leading apostrophe.
 */
export function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Format one CSV line, with text cells made safe for spreadsheets (see spreadsheetSafe). */
export function csvLine(cells: (string | number)[]): string {
  return stringify([
    cells.map((cell) => (typeof cell === "number" ? cell : spreadsheetSafe(cell))),
  ]);
}

/** Writer of one phase's `plan/<phase>.ndjson`. */
export class PhaseWriter {
  constructor(
    readonly phase: string,
    readonly file: string,
    private readonly out: BufferedFile,
  ) {}

  get rows(): number {
    return this.out.lines;
  }

  /** Write a row (see planRowLine). Await the result only when it is a promise (see BufferedFile.write). */
  write(row: Omit<PlanRow, "hash">): Promise<void> | undefined {
    return this.out.write(planRowLine(row));
  }

  /** Append lines made by `planRowLine`, `rows` of them, as one piece of text. */
  writeLines(text: string, rows: number): Promise<void> | undefined {
    return this.out.write(text, rows);
  }
}

/**
 * Format a plan row as an NDJSON line with the hash of the canonical JSON of its `values`.
 * That JSON is also the text written, so the values are serialised once.
 */
export function planRowLine(row: Omit<PlanRow, "hash">): string {
  const values = canonicalJson(row.values);
  checkXmlSafe(values, row);
  let line = "{";
  if (row.xml_id !== undefined) {
    line += `"xml_id":${JSON.stringify(row.xml_id)},`;
  }
  line += `"values":${values},"hash":"${hashOfJson(values)}"`;
  if (row.source !== undefined) {
    line += `,"source":${JSON.stringify({ file: row.source.file, line: row.source.line })}`;
  }
  return `${line}}\n`;
}

/**
 * JSON text of a character XML cannot carry. JSON.stringify writes a C0 control other than tab
 * and line breaks, and a lone surrogate, as an escape preceded by an even number of backslashes.
 * It writes valid surrogate pairs, U+FFFE and U+FFFF as they are.
 */
const XML_UNSAFE_JSON =
  /(?<!\\)(?:\\\\)*\\(u00(?:0[0-8bcef]|1[0-9a-f])|ud[89a-f][0-9a-f]{2}|b|f)|[\ufffe\uffff]/;

/**
 * Reject a plan row that Odoo's XML-RPC could not receive. Contacts and companies have such
 * characters removed with a flag, and history notes show them as marks, so this stops only
 * values of other phases, naming the row, before a migration would fail on them.
 */
function checkXmlSafe(json: string, row: Omit<PlanRow, "hash">): void {
  if (!json.includes("\\") && !json.includes("\ufffe") && !json.includes("\uffff")) {
    return;
  }
  const match = XML_UNSAFE_JSON.exec(json);
  if (!match) {
    return;
  }
  const escape = match[1];
  const code =
    escape === undefined
      ? (match[0].codePointAt(0) ?? 0)
      : escape === "b"
        ? 8
        : escape === "f"
          ? 12
          : Number.parseInt(escape.slice(1), 16);
  const where = row.source ? `${row.source.file} line ${row.source.line}` : "a snapshot file";
  throw new SnapshotFileError(
    row.source?.file ?? "plan",
    `the row planned as ${row.xml_id ?? "a row"} from ${where} contains the character ` +
      `U+${code.toString(16).toUpperCase().padStart(4, "0")}, which Odoo's XML-RPC cannot carry; ` +
      "remove it from the source and run plan again",
  );
}

/** Name prefix of the hidden folder in which a plan is built (see PlanOutputs). */
export const WORK_DIR_PREFIX = ".plan-";
/** File in a work folder with the id of the process that builds the plan there. */
const OWNER_FILE = "owner.pid";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove the work folders of plans into DIR whose process is gone (killed, or stopped by a
 * crash), since they hold copies of personal data. A folder of a plan still running is kept.
 */
async function removeAbandonedWorkDirs(outDir: string, logger?: Logger): Promise<void> {
  for (const name of readdirIfAny(outDir)) {
    if (!name.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = join(outDir, name);
    const owner = Number.parseInt(readOwner(dir) ?? "", 10);
    if (owner > 0 && owner !== process.pid && processAlive(owner)) continue;
    await rm(dir, { recursive: true, force: true });
    logger?.warn({ dir }, "removed the work folder of an interrupted plan");
  }
}

/**
 * Remove, synchronously, the work folders in DIR that this process made: for a signal handler
 * that exits right after.
 */
export function removeOwnWorkDirs(outDir: string): number {
  let removed = 0;
  for (const name of readdirIfAny(outDir)) {
    if (!name.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = join(outDir, name);
    if (readOwner(dir) === String(process.pid)) {
      rmSync(dir, { recursive: true, force: true });
      removed += 1;
    }
  }
  return removed;
}

function readdirIfAny(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readOwner(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, OWNER_FILE), "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * Every file `plan --out DIR` writes. Files are built in a hidden folder inside DIR and moved
 * into place by `commit()`, so a failed or interrupted plan leaves the previous plan (or
 * nothing) rather than half a plan.
 */
export class PlanOutputs {
  readonly workDir: string;
  private readonly quarantineFile: BufferedFile;
  private readonly flagsFile: BufferedFile;
  private readonly phaseFiles = new Map<string, BufferedFile>();
  private constructor(
    readonly outDir: string,
    workDir: string,
  ) {
    this.workDir = workDir;
    this.quarantineFile = new BufferedFile(join(workDir, "quarantine.csv"));
    this.flagsFile = new BufferedFile(join(workDir, "flags.csv"));
  }

  static async create(outDir: string, logger?: Logger): Promise<PlanOutputs> {
    await mkdir(outDir, { recursive: true });
    await removeAbandonedWorkDirs(outDir, logger);
    const workDir = join(outDir, `${WORK_DIR_PREFIX}${randomBytes(6).toString("hex")}`);
    await mkdir(join(workDir, "plan"), { recursive: true });
    await writeFile(join(workDir, OWNER_FILE), `${process.pid}\n`);
    const outputs = new PlanOutputs(outDir, workDir);
    await outputs.quarantineFile.write(csvLine(["file", "line", "column", "value", "reason"]));
    await outputs.flagsFile.write(csvLine(["xml_id", "extid", "flag", "detail"]));
    return outputs;
  }

  get quarantineCount(): number {
    return this.quarantineFile.lines - 1;
  }

  get flagCount(): number {
    return this.flagsFile.lines - 1;
  }

  phase(name: string): PhaseWriter {
    const file = `${name}.ndjson`;
    const out = new BufferedFile(join(this.workDir, "plan", file));
    this.phaseFiles.set(name, out);
    // Phases are produced one after another, so quarantine entries from now on are this one's.
    this.currentPhase = name;
    return new PhaseWriter(name, file, out);
  }

  /** `value dropped:` quarantine entries per phase, counted while the phase is produced. */
  private readonly droppedValues = new Map<string, number>();
  private currentPhase = "";

  /** Values dropped from planned rows while the named phase was produced. */
  valuesDropped(name: string): number {
    return this.droppedValues.get(name) ?? 0;
  }

  quarantine(entry: QuarantineEntry): Promise<void> | undefined {
    if (entry.reason.startsWith("value dropped:")) {
      this.droppedValues.set(this.currentPhase, this.valuesDropped(this.currentPhase) + 1);
    }
    return this.quarantineFile.write(
      csvLine([entry.file, entry.line, entry.column, entry.value, entry.reason]),
    );
  }

  flag(entry: FlagEntry): Promise<void> | undefined {
    return this.flagsFile.write(csvLine([entry.xml_id, entry.extid, entry.flag, entry.detail]));
  }

  async closeFiles(): Promise<void> {
    for (const file of this.phaseFiles.values()) {
      await file.close();
    }
    await this.quarantineFile.close();
    await this.flagsFile.close();
  }

  async writeJson(relativePath: string, value: unknown): Promise<void> {
    const data = relativePath === "plan/manifest.json" ? this.withFileHashes(value) : value;
    await writeFile(join(this.workDir, relativePath), `${JSON.stringify(data, null, 2)}\n`);
  }

  /**
   * Add `sha256` and `rows` of each closed phase file to the manifest's phase entries, so that
   * `migrate` can refuse a plan file that changed after plan wrote it.
   */
  private withFileHashes(manifest: unknown): unknown {
    const phases = (manifest as { phases?: unknown } | null)?.phases;
    if (!Array.isArray(phases)) return manifest;

    return {
      ...(manifest as object),
      phases: phases.map((entry: { name?: string }) => {
        const file = entry.name === undefined ? undefined : this.phaseFiles.get(entry.name);
        return file?.sha256 ? { ...entry, rows: file.lines, sha256: file.sha256 } : entry;
      }),
    };
  }

  /** Replace the previous plan in DIR with this one. */
  async commit(): Promise<void> {
    for (const name of ["plan", "quarantine.csv", "flags.csv", "reconciliation.json"]) {
      await rm(join(this.outDir, name), { recursive: true, force: true });
      await rename(join(this.workDir, name), join(this.outDir, name));
    }
    await rm(this.workDir, { recursive: true, force: true });
  }

  /** Remove everything this plan wrote; the previous plan in DIR stays as it was. */
  async discard(): Promise<void> {
    await this.closeFiles().catch(() => undefined);
    await rm(this.workDir, { recursive: true, force: true });
  }
}
