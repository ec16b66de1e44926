import { createHash, type Hash } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import iconv from "iconv-lite";

export type FileEncoding = "utf8" | "utf8-bom" | "utf16le" | "windows-1254";

const FLUSH_AT = 1 << 16;

/**
 * A file written in chunks with synchronous writes: memory stays at one buffer whatever the
 * file size, and the sha256 of the bytes on disk is computed while writing, so the manifest
 * needs no second read.
 */
export class FileSink {
  private readonly fd: number;
  private readonly hash: Hash = createHash("sha256");
  private pending: string[] = [];
  private pendingLength = 0;
  private closed = false;

  constructor(
    readonly root: string,
    readonly path: string,
    private readonly encoding: FileEncoding = "utf8",
  ) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    this.fd = openSync(full, "w");
    if (encoding === "utf8-bom") {
      this.writeBytes(Buffer.from([0xef, 0xbb, 0xbf]));
    }
    if (encoding === "utf16le") {
      this.writeBytes(Buffer.from([0xff, 0xfe]));
    }
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= FLUSH_AT) {
      this.flush();
    }
  }

  /** Flush, close and return the sha256 (hex) of everything written. */
  close(): string {
    if (this.closed) {
      throw new Error(`${this.path} is already closed`);
    }

    this.flush();
    closeSync(this.fd);
    this.closed = true;
    return this.hash.digest("hex");
  }

  private flush(): void {
    if (this.pending.length === 0) {
      return;
    }

    const text = this.pending.join("");
    this.pending = [];
    this.pendingLength = 0;
    this.writeBytes(encodeText(text, this.encoding));
  }

  private writeBytes(bytes: Buffer): void {
    this.hash.update(bytes);
    let offset = 0;
    while (offset < bytes.length) {
      offset += writeSync(this.fd, bytes, offset);
    }
  }
}

function encodeText(text: string, encoding: FileEncoding): Buffer {
  switch (encoding) {
    case "utf8":
    case "utf8-bom":
      return Buffer.from(text, "utf8");
    case "utf16le":
      return Buffer.from(text, "utf16le");
    case "windows-1254":
      return iconv.encode(text, "win1254");
  }
}

/** A CSV file with a fixed delimiter; quotes cells only where the delimiter, quotes or newlines need it. */
export class CsvSink {
  private readonly sink: FileSink;
  private rows = 0;

  constructor(
    root: string,
    path: string,
    readonly header: readonly string[],
    private readonly delimiter = ",",
    encoding: FileEncoding = "utf8",
    private readonly newline = "\r\n",
  ) {
    this.sink = new FileSink(root, path, encoding);
    this.writeRow(header);
    this.rows = 0;
  }

  get path(): string {
    return this.sink.path;
  }

  get rowCount(): number {
    return this.rows;
  }

  writeRow(cells: readonly (string | number | boolean | null | undefined)[]): void {
    const line = cells.map((cell) => this.quote(cell)).join(this.delimiter);
    this.sink.write(line + this.newline);
    this.rows += 1;
  }

  close(): string {
    return this.sink.close();
  }

  private quote(cell: string | number | boolean | null | undefined): string {
    if (cell === null || cell === undefined) {
      return "";
    }

    const text = String(cell);
    const needsQuotes =
      text.includes(this.delimiter) ||
      text.includes('"') ||
      text.includes("\n") ||
      text.includes("\r");
    return needsQuotes ? `"${text.replace(/"/g, '""')}"` : text;
  }
}

/** A JSON array written one element at a time, wrapped in an object `{<key>: [...]}` plus fixed fields. */
export class JsonArraySink {
  private readonly sink: FileSink;
  private first = true;

  constructor(root: string, path: string, prefixFields: Record<string, unknown>, key: string) {
    this.sink = new FileSink(root, path, "utf8");
    const prefix = JSON.stringify(prefixFields).slice(0, -1);
    const separator = prefix.length > 1 ? "," : "";
    this.sink.write(`${prefix}${separator}${JSON.stringify(key)}:[\n`);
  }

  get path(): string {
    return this.sink.path;
  }

  push(item: unknown): void {
    this.sink.write((this.first ? "" : ",\n") + JSON.stringify(item));
    this.first = false;
  }

  close(): string {
    this.sink.write("\n]}\n");
    return this.sink.close();
  }
}

/** Write a small JSON document at once (definitions, manifest). */
export function writeJsonFile(root: string, path: string, value: unknown): string {
  const sink = new FileSink(root, path, "utf8");
  sink.write(JSON.stringify(value, null, 2) + "\n");
  return sink.close();
}
