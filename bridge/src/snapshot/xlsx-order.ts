import { basename } from "node:path";
import { Readable } from "node:stream";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { checkXlsxTextRuns } from "./xlsx-text-runs.js";

/**
 * Parts that ExcelJS's streaming reader must read before a worksheet, in this order. When a
 * worksheet comes earlier, ExcelJS copies it to a temporary file and reads it at the end. On
 * that path it read the worksheet without its shared strings in about half of our test reads of
 * a small uncompressed workbook. Excel writes the worksheets before `xl/sharedStrings.xml`.
 */
const FIRST_PARTS = [
  "_rels/.rels",
  "xl/_rels/workbook.xml.rels",
  "xl/workbook.xml",
  "xl/sharedStrings.xml",
  "xl/styles.xml",
];

const WORKSHEET = /^xl\/worksheets\/sheet\d+\.xml$/;
const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR_FLAG = 0x0008;
const UTF8_FLAG = 0x0800;
const ZIP64_LIMIT = 0xffffffff;

function rank(name: string): number {
  const first = FIRST_PARTS.indexOf(name);
  if (first >= 0) {
    return first;
  }
  return WORKSHEET.test(name) ? FIRST_PARTS.length + 1 : FIRST_PARTS.length;
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error || !zip) {
        reject(error ?? new Error("failed to open the zip file"));
        return;
      }
      resolve(zip);
    });
  });
}

function readEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on("entry", (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on("end", () => resolve(entries));
    zip.on("error", reject);
    zip.readEntry();
  });
}

function openRaw(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    // The bytes go on as they are stored; ExcelJS's unzip step inflates them.
    zip.openReadStream(entry, { decodeFileData: false }, (error, stream) => {
      if (error || !stream) {
        reject(error ?? new Error(`failed to read zip entry ${entry.fileName}`));
        return;
      }
      resolve(stream);
    });
  });
}

/**
 * Local file header for an entry whose sizes are known from the central directory, so that no
 * data descriptor follows its data. Sizes past 4 GiB go into a ZIP64 extra field.
 */
function localHeader(entry: Entry, name: Buffer): Buffer {
  const zip64 = entry.compressedSize >= ZIP64_LIMIT || entry.uncompressedSize >= ZIP64_LIMIT;
  const extraLength = zip64 ? 20 : 0;
  const header = Buffer.alloc(30 + name.length + extraLength);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(zip64 ? 45 : entry.versionNeededToExtract, 4);
  header.writeUInt16LE((entry.generalPurposeBitFlag & ~DATA_DESCRIPTOR_FLAG) | UTF8_FLAG, 6);
  header.writeUInt16LE(entry.compressionMethod, 8);
  header.writeUInt16LE(entry.lastModFileTime, 10);
  header.writeUInt16LE(entry.lastModFileDate, 12);
  header.writeUInt32LE(entry.crc32 >>> 0, 14);
  header.writeUInt32LE(zip64 ? ZIP64_LIMIT : entry.compressedSize, 18);
  header.writeUInt32LE(zip64 ? ZIP64_LIMIT : entry.uncompressedSize, 22);
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(extraLength, 28);
  name.copy(header, 30);
  if (zip64) {
    const at = 30 + name.length;
    header.writeUInt16LE(0x0001, at);
    header.writeUInt16LE(16, at + 2);
    header.writeBigUInt64LE(BigInt(entry.uncompressedSize), at + 4);
    header.writeBigUInt64LE(BigInt(entry.compressedSize), at + 12);
  }
  return header;
}

/** End-of-central-directory record with no directory, which ends the unzip step's read. */
function endRecord(): Buffer {
  const record = Buffer.alloc(22);
  record.writeUInt32LE(0x06054b50, 0);
  return record;
}

async function* reordered(zip: ZipFile, entries: Entry[]): AsyncGenerator<Buffer> {
  try {
    for (const entry of entries) {
      yield localHeader(entry, Buffer.from(entry.fileName, "utf8"));
      for await (const chunk of await openRaw(zip, entry)) {
        yield chunk as Buffer;
      }
    }
    yield endRecord();
  } finally {
    zip.close();
  }
}

/**
 * Stream the zip at `path` with its entries reordered for ExcelJS's streaming reader:
 * relations, workbook, shared strings and styles first, worksheets last. Entries are copied
 * compressed, one at a time, so memory does not grow with the file. A workbook with a text too
 * long for any cell is rejected first, naming `file` (see checkXlsxTextRuns).
 */
export async function orderedXlsxStream(path: string, file = basename(path)): Promise<Readable> {
  const zip = await openZip(path);
  let entries: Entry[];
  try {
    entries = (await readEntries(zip)).filter((entry) => !entry.fileName.endsWith("/"));
    await checkXlsxTextRuns(zip, entries, file);
  } catch (error) {
    zip.close();
    throw error;
  }
  const ordered = entries
    .map((entry, index) => ({ entry, index, rank: rank(entry.fileName) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ entry }) => entry);
  return Readable.from(reordered(zip, ordered), { objectMode: false });
}
