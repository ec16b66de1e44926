import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPlanLines } from "../bridge/src/migrate/plan-files.js";
import { planRowLine } from "../bridge/src/plan/outputs.js";

const dir = mkdtempSync(join(tmpdir(), "migrate-plan-row-hash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string) {
  const rows: { xml_id?: string; line: number }[] = [];
  for await (const { row, line } of readPlanLines(path, "plan/contacts.ndjson")) {
    rows.push({ xml_id: row.xml_id, line });
  }
  return rows;
}

describe("plan row hashes", () => {
  const first = planRowLine({ xml_id: "c1", values: { email: "a@example.com", name: "Ayşe" } });
  const second = planRowLine({ xml_id: "c2", values: { email: "b@example.com", name: "Can" } });

  it("reads rows whose hash matches", async () => {
    const path = join(dir, "good.ndjson");
    writeFileSync(path, first + second);
    expect(await readAll(path)).toEqual([
      { xml_id: "c1", line: 1 },
      { xml_id: "c2", line: 2 },
    ]);
  });

  it("rejects a value edited under its old hash", async () => {
    const path = join(dir, "forged.ndjson");
    const forged = second.replace("b@example.com", "attacker@example.com");
    writeFileSync(path, first + forged);
    const hash = /"hash":"([0-9a-f]+)"/.exec(second)?.[1];
    await expect(readAll(path)).rejects.toThrow(
      new RegExp(
        `^plan/contacts\\.ndjson line 2: the row's hash ${hash} does not match its values ` +
          "\\([0-9a-f]{32}\\), so the row was edited after plan wrote it; re-run plan$",
      ),
    );
  });

  it("accepts key order that differs from plan's", async () => {
    const path = join(dir, "reordered.ndjson");
    const hash = /"hash":"([0-9a-f]+)"/.exec(first)?.[1];
    writeFileSync(
      path,
      `{"xml_id":"c1","values":{"name":"Ayşe","email":"a@example.com"},"hash":"${hash}"}\n`,
    );
    expect(await readAll(path)).toEqual([{ xml_id: "c1", line: 1 }]);
  });
});
