/**
 * Benchmark the JSON record reader: records per CPU second for NDJSON profiles (one user per
 * line, as pull writes them) and a pretty-printed `{"devices": [...]}` file.
 *
 *   npx tsx scripts/bench-json-records.ts [--records 300000] [--rounds 3] [--work DIR]
 *
 * The files are generated into WORK once and reused. Each round reads both files; the best
 * round is reported, since other processes on a shared machine only ever slow a round down.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { streamJsonRecords } from "../bridge/src/snapshot/json-stream.js";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "300000" },
    rounds: { type: "string", default: "3" },
    work: { type: "string", default: "/tmp/netmera-bench-json-records" },
  },
});
const count = Number(values.records);
const work = resolve(values.work);
mkdirSync(work, { recursive: true });
const profiles = join(work, `profiles-${count}.ndjson`);
const devices = join(work, `devices-${count}.json`);

if (!existsSync(profiles) || !existsSync(devices)) {
  const lines: string[] = [];
  const items: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const profile = {
      name: `Ali ${i}`,
      surname: "Kaya",
      email: `u${i}@example.com`,
      msisdn: "905321234567",
      city: "İstanbul",
      gender: 1,
      dateOfBirth: 624315600000,
      loyaltyPoints: i,
      tags: ["gold", "app"],
      note: 'said "hi": at 10:30',
    };
    lines.push(JSON.stringify({ extId: `u${i}`, profile }));
    const device = {
      extId: `u${i}`,
      installationId: `inst-${i}`,
      platform: "Android",
      deviceModel: "SM-G991B",
      appVersion: "3.2.1",
      osVersion: "13",
    };
    items.push(JSON.stringify(device, null, 1));
  }
  writeFileSync(profiles, `${lines.join("\n")}\n`);
  writeFileSync(devices, `{"devices": [\n${items.join(",\n")}\n]}\n`);
}

async function cpuSeconds(path: string): Promise<number> {
  const start = process.cpuUsage();
  let read = 0;
  for await (const record of streamJsonRecords(path, path)) {
    if (record.value !== undefined) read += 1;
  }
  if (read !== count) {
    throw new Error(`${path}: read ${read} records, expected ${count}`);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const best = { profiles: Infinity, devices: Infinity };
for (let round = 0; round < Number(values.rounds); round += 1) {
  best.profiles = Math.min(best.profiles, await cpuSeconds(profiles));
  best.devices = Math.min(best.devices, await cpuSeconds(devices));
}
process.stdout.write(
  `${JSON.stringify({
    records: count,
    ndjsonRecordsPerCpuSecond: Math.round(count / best.profiles),
    jsonRecordsPerCpuSecond: Math.round(count / best.devices),
  })}\n`,
);
