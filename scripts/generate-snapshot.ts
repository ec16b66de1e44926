/**
 * Write a realistic Netmera snapshot for demos, tests and benchmarks.
 *
 *   npx tsx scripts/generate-snapshot.ts --users 200 --events-per-user 20 --seed 1 --out DIR
 *
 * The output is the same for the same arguments. Memory does not grow with --users.
 */
import { parseArgs } from "node:util";
import { generateSnapshot } from "./lib/generator/generate.js";

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) {
    return fallback;
  }

  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`--${name} must be a whole number of 0 or more, got "${text}"`);
  }
  return value;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      users: { type: "string" },
      "events-per-user": { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help || !values.out) {
    console.log(
      "usage: npx tsx scripts/generate-snapshot.ts --out DIR [--users 200] [--events-per-user 20] [--seed 1]",
    );
    process.exitCode = values.help ? 0 : 2;
    return;
  }

  const started = Date.now();
  const summary = generateSnapshot({
    users: positiveInteger("users", values.users, 200),
    eventsPerUser: positiveInteger("events-per-user", values["events-per-user"], 20),
    seed: values.seed ?? "1",
    out: values.out,
    onProgress: (done) => console.error(`${done} users written`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `wrote ${summary.users} users, ${summary.events} events, ${Object.keys(summary.files).length} files to ${values.out} in ${seconds} s`,
  );
}

try {
  main();
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 2;
}
