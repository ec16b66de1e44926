import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { registerPull } from "../bridge/src/commands/pull.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { API_KEY, makeDataset, SINCE, UNTIL } from "./fixtures/pull/dataset.js";
import { makeExportsDir } from "./fixtures/pull/exports-dir.js";
import { startNetmeraServer, type NetmeraServer } from "./support/netmera-server.js";

const servers: NetmeraServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * Pull from a server whose segment 101 gains a member at the front when its second page is
 * requested, as a dynamic segment recalculated during a pull does: once, or at every reading.
 */
async function pullWhileSegmentChanges(every: boolean) {
  const dataset = makeDataset();
  const segment = dataset.segments.find((item) => item.id === "101")!;
  let joined = 0;
  const server = await startNetmeraServer({
    apiKey: API_KEY,
    dataset,
    pageCaps: { deviceTokens: 5, segmentUsers: 2, pushResult: 10 },
    onRequest: (request) => {
      const laterPage =
        request.endpoint === "getSegmentUsers" &&
        request.url.includes("id=101") &&
        request.url.includes("offset=");
      if (laterPage && (every || joined === 0)) {
        joined += 1;
        segment.members!.unshift({ externalId: `joined-${joined}` });
      }
    },
  });
  servers.push(server);

  const out = join(await mkdtemp(join(tmpdir(), "pull-segment-change-")), "snapshot");
  const program = new Command("netmera-odoo").exitOverride();
  registerPull(program, {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: { NETMERA_API_KEY: API_KEY },
    logger: silentLogger,
  });
  await program.parseAsync([
    "node",
    "netmera-odoo",
    "pull",
    ...["--out", out, "--exports", await makeExportsDir(), "--base-url", server.url],
    ...["--since", SINCE.toISOString(), "--until", UNTIL.toISOString(), "--rate", "1000"],
  ]);

  const members = (
    JSON.parse(readFileSync(join(out, "segment-users/101.json"), "utf8")) as {
      list: { externalId: string }[];
    }
  ).list.map((item) => item.externalId);
  const segments = JSON.parse(readFileSync(join(out, "segments.json"), "utf8")) as {
    list: { id: string; membership: Record<string, unknown> }[];
  };
  const membership = segments.list.find((item) => item.id === "101")?.membership;
  return { members, membership };
}

describe("a segment that changes while pull reads it", () => {
  it("is read again from its first page", async () => {
    const { members, membership } = await pullWhileSegmentChanges(false);
    expect(members).toEqual(["joined-1", "u01", "u02", "u03", "u04", "u05"]);
    expect(membership).toEqual({
      exportable: true,
      file: "segment-users/101.json",
      members: 6,
      reason: null,
    });
  });

  it("is marked when it changes during the second reading too", async () => {
    const { membership } = await pullWhileSegmentChanges(true);
    expect(membership?.changedWhileRead).toMatch(
      /^\d+ member\(s\) listed twice; \d+ listed, getSegments counted 5$/,
    );
  });
});
