/**
 * Upload benchmark of the bridge API: build a snapshot zip with a large users CSV, start
 * `netmera-odoo serve` as a child process, POST the zip to /snapshots as a stream, and report
 * the time and the server's peak resident memory (VmHWM from /proc). The server streams the
 * body to disk and unpacks entry by entry, so its memory should not grow with the upload size.
 *
 *   node --import tsx scripts/bench-serve-upload.ts [--rows 2000000] [--port 3140]
 */
import { execFileSync, spawn } from "node:child_process";
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { once } from "node:events";
import { crc32, createDeflateRaw } from "node:zlib";

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const rows = option("rows", 2_000_000);
const port = option("port", 3140);
const token = "bench-token-0123456789abcdefghijklmnop";

async function writeUsers(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write("External ID;Email;Name;Surname;Msisdn;City;Country;Language\n");
  for (let index = 0; index < rows; index += 1) {
    const line =
      `user-${index};user${index}@example.com.tr;Ayşe${index % 97};Yılmaz${index % 89};` +
      `+90532${String(index).padStart(7, "0")};İstanbul;TR;tr\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** Write a zip of one entry that inflates to `size` zero bytes, deflated as a stream. */
async function bombZip(path: string, size: number): Promise<string> {
  const chunk = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on("data", (part: Buffer) => parts.push(part));
  let crc = 0;
  for (let left = size; left > 0; left -= chunk.length) {
    crc = crc32(chunk, crc);
    if (!deflate.write(chunk)) await once(deflate, "drain");
  }
  deflate.end();
  await once(deflate, "end");
  const data = Buffer.concat(parts);
  const name = Buffer.from("events/all.csv");
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  writeFileSync(path, Buffer.concat([local, name, data, central, name, end]));
  return path;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "bench-serve-"));
  try {
    const snapshot = join(work, "snapshot");
    execFileSync("mkdir", ["-p", join(snapshot, "users")]);
    await writeUsers(join(snapshot, "users", "all-users.csv"));
    const zipPath = join(work, "snapshot.zip");
    execFileSync("zip", ["-q", "-r", zipPath, "."], { cwd: snapshot });
    const csvBytes = statSync(join(snapshot, "users", "all-users.csv")).size;
    const zipBytes = statSync(zipPath).size;

    const server = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        import.meta.filename,
        "--serve-child",
        "serve",
        "--port",
        String(port),
        "--data-dir",
        join(work, "data"),
      ],
      {
        env: { ...process.env, NETMERA_ODOO_BRIDGE_TOKEN: token, NETMERA_ODOO_LOG_LEVEL: "warn" },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const url = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        if ((await fetch(`${url}/health`)).ok) break;
      } catch {
        if (attempt > 240) throw new Error("bridge did not start");
      }
      await new Promise((done) => setTimeout(done, 250));
    }
    const idleMiB = peakRssMiB(server.pid!);

    const started = performance.now();
    const response = await fetch(`${url}/snapshots`, {
      method: "POST",
      headers: { "x-bridge-token": token, "content-type": "application/zip" },
      body: Readable.toWeb(createReadStream(zipPath)) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    const body = (await response.json()) as Record<string, unknown>;
    const seconds = (performance.now() - started) / 1000;
    const peakMiB = peakRssMiB(server.pid!);

    // A zip bomb of the same shape as the test's: rejected from its header, before any write.
    const bomb = await bombZip(join(work, "bomb.zip"), 600 * 1024 ** 2);
    const bombStarted = performance.now();
    const rejected = await fetch(`${url}/snapshots`, {
      method: "POST",
      headers: { "x-bridge-token": token, "content-type": "application/zip" },
      body: readFileSync(bomb),
    });
    const bombSeconds = (performance.now() - bombStarted) / 1000;
    const bombAnswer = (await rejected.json()) as { error?: string };
    server.kill("SIGTERM");
    await once(server, "exit");

    if (response.status !== 201) throw new Error(`upload failed: ${JSON.stringify(body)}`);
    const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);
    console.log(`rows ${rows}, CSV ${mib(csvBytes)} MiB, zip ${mib(zipBytes)} MiB`);
    console.log(
      `upload + unpack + manifest hash: ${seconds.toFixed(1)} s ` +
        `(${(csvBytes / 1024 ** 2 / seconds).toFixed(1)} MiB/s unpacked)`,
    );
    console.log(`compression ratio of the CSV: ${(csvBytes / zipBytes).toFixed(1)}:1`);
    console.log(
      `server peak RSS: ${peakMiB.toFixed(0)} MiB (after start: ${idleMiB.toFixed(0)} MiB)`,
    );
    console.log(
      `600 MiB zip bomb (${mib(statSync(bomb).size)} MiB): HTTP ${rejected.status} in ` +
        `${bombSeconds.toFixed(2)} s: ${bombAnswer.error}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// The same script runs the server in the child process, so the child's memory is the bridge's.
if (args[0] === "--serve-child") {
  const { main: cli } = await import("../bridge/src/cli.js");
  process.exitCode = await cli(["node", "netmera-odoo", ...args.slice(1)]);
} else {
  await main();
}
