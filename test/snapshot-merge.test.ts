import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { Staging } from "../bridge/src/snapshot/staging.js";
import {
  mergeGroup,
  stageSnapshot,
  type MergedUser,
  type RowProblem,
} from "../bridge/src/snapshot/users.js";

let root: string;

function write(path: string, text: string): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
}

async function merged(): Promise<{
  users: MergedUser[];
  problems: RowProblem[];
  stagingDir: string;
}> {
  const snapshot = await openSnapshot(root, { logger: silentLogger });
  const staging = new Staging(root + "-work");
  const problems: RowProblem[] = [];
  try {
    await stageSnapshot(
      snapshot,
      staging,
      [],
      { onProblem: (problem) => problems.push(problem) },
      silentLogger,
    );
    const files = staging.files();
    const users = [...staging.groups()].map((group) => mergeGroup(group, files));
    return { users, problems, stagingDir: staging.dir };
  } finally {
    staging.close();
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "reader-merge-"));
  mkdirSync(root + "-work");
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(root + "-work", { recursive: true, force: true });
});

describe("merging user exports", () => {
  it("keeps extIds apart that differ by case, dots, slashes or letters", async () => {
    write(
      "users/a.csv",
      "External ID,Name\nAyse.K,A\nayse.k,B\nayse/k,C\nayse.k.,D\nAyşe.K,E\nAYSE.K,F\n",
    );
    const { users } = await merged();
    expect(users.map((user) => user.extId).sort()).toEqual(
      ["AYSE.K", "Ayse.K", "Ayşe.K", "ayse.k", "ayse.k.", "ayse/k"].sort(),
    );
    expect(users.every((user) => user.userRows === 1)).toBe(true);
  });

  it("merges one extId across files and reports conflicts with both places", async () => {
    write("users/a.csv", "extId;City;Email\nu1;Ankara;u1@example.com\n");
    write("users/b.csv", "External ID|City|E-mail\nu1|İzmir|U1@EXAMPLE.COM\n");
    const { users } = await merged();
    expect(users).toHaveLength(1);
    const user = users[0]!;
    expect(user.userRows).toBe(2);
    expect(user.values.get("column:City")).toEqual({
      value: "Ankara",
      file: "users/a.csv",
      line: 2,
      column: "City",
    });
    // E-mails compare without case; the city differs.
    expect(user.conflicts).toEqual([
      {
        meaning: "column:City",
        kept: { value: "Ankara", file: "users/a.csv", line: 2, column: "City" },
        other: { value: "İzmir", file: "users/b.csv", line: 2, column: "City" },
      },
    ]);
  });

  it("fills values one file lacks from another", async () => {
    write("users/a.csv", "extId,City\nu1,\n");
    write("users/b.csv", "extId,City\nu1,Van\n");
    const { users } = await merged();
    expect(users[0]?.values.get("column:City")?.value).toBe("Van");
    expect(users[0]?.conflicts).toEqual([]);
  });

  it("joins memberships and devices, by extId or by e-mail", async () => {
    write("users/a.csv", "extId,Email\nu1,u1@example.com\n");
    write("segment-users/7.csv", "externalId,msisdn,email\n,,U1@example.com\n");
    write("tags/gold.csv", "External ID\nu1\n");
    write(
      "devices.csv",
      "platform,extId,installationId,model,token\nIOS,u1,i-1,iPhone,secret-token-1\n",
    );
    const { users } = await merged();
    expect(users).toHaveLength(1);
    expect(users[0]?.segments).toEqual(["7"]);
    expect(users[0]?.tags).toEqual(["gold"]);
    expect(users[0]?.devices).toEqual([
      { installationId: "i-1", platform: "IOS", model: "iPhone", file: "devices.csv", line: 2 },
    ]);
  });

  it("keeps push tokens out of the staging database", async () => {
    write("users/a.csv", "extId,Push Token\nu1,secret-token-2\n");
    write("devices.csv", "platform,extId,installationId,token\nIOS,u1,i-1,secret-token-1\n");
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    const staging = new Staging(root + "-work");
    try {
      await stageSnapshot(snapshot, staging, [], { onProblem: () => undefined }, silentLogger);
      staging.finishLoading();
      for (const name of readdirSync(staging.dir)) {
        const bytes = readFileSync(join(staging.dir, name));
        expect(bytes.includes("secret-token-1")).toBe(false);
        expect(bytes.includes("secret-token-2")).toBe(false);
      }
    } finally {
      staging.close();
    }
  });

  it("gives users without an extId their own record, keyed by e-mail", async () => {
    write("users/a.csv", "extId,Email,Name\n,x@example.com,X\n,x@example.com,X2\n,,Nobody\n");
    const { users } = await merged();
    expect(users).toHaveLength(2);
    expect(users.every((user) => user.extId === undefined)).toBe(true);
    expect(users.find((user) => user.userRows === 2)?.values.get("name")?.value).toBe("X");
  });

  it("reads pull's profiles and user-devices parts", async () => {
    write(
      "profiles/part-00001.ndjson",
      [
        JSON.stringify({
          extId: "u1",
          profile: { name: "Ayşe", dateOfBirth: 624315600000, isPremium: true, tags: ["a", "b"] },
        }),
        JSON.stringify({ extId: "u2", error: { netmeraCode: 5016, message: "user not found" } }),
      ].join("\n"),
    );
    write("users/a.csv", "extId,Name,City\nu1,Ayse,Van\n");
    write(
      "user-devices/part-00001.ndjson",
      JSON.stringify({
        extId: "u1",
        devices: [{ platform: "IOS", token: "secret-token-3", deviceModel: "iPhone" }],
      }),
    );
    const { users, problems } = await merged();
    const u1 = users.find((user) => user.extId === "u1");
    expect(u1?.values.get("name")).toEqual({
      value: "Ayşe",
      file: "profiles/part-00001.ndjson",
      line: 1,
      column: "name",
    });
    expect(u1?.values.get("attr:dateOfBirth")?.value).toBe("624315600000");
    expect(u1?.values.get("attr:isPremium")?.value).toBe("true");
    expect(u1?.values.get("attr:tags")?.value).toBe('["a","b"]');
    expect(u1?.values.get("column:City")?.value).toBe("Van");
    expect(u1?.conflicts.map((conflict) => conflict.other.value)).toEqual(["Ayse"]);
    expect(u1?.devices).toEqual([
      { platform: "IOS", model: "iPhone", file: "user-devices/part-00001.ndjson", line: 1 },
    ]);
    expect(users.find((user) => user.extId === "u2")?.userRows).toBe(1);
    expect(problems).toEqual([
      {
        file: "profiles/part-00001.ndjson",
        line: 2,
        column: "profile",
        value: "",
        reason:
          "value dropped: Netmera returned no profile: user not found (Netmera code 5016); the contact is planned from the other files",
      },
    ]);
  });

  it("reads pull's devices.json and segment-users JSON", async () => {
    write("users/a.csv", "extId\nu1\n");
    write(
      "devices.json",
      JSON.stringify({
        total: 2,
        devices: [
          {
            installationId: "i-1",
            platform: "ANDROID",
            extId: "u1",
            deviceToken: "secret-token-4",
          },
          { installationId: "i-2", platform: "IOS" },
        ],
      }),
    );
    write(
      "segment-users/42.json",
      JSON.stringify({
        id: "42",
        name: "VIP",
        frozenAt: "2026-01-01T00:00:00Z",
        list: [{ externalId: "u1", msisdn: null, email: null }],
      }),
    );
    const { users } = await merged();
    expect(users.map((user) => [user.key, user.segments, user.devices])).toEqual([
      [
        "\u0000installation:i-2",
        [],
        [{ installationId: "i-2", platform: "IOS", file: "devices.json", line: 1 }],
      ],
      [
        "u1",
        ["42"],
        [{ installationId: "i-1", platform: "ANDROID", file: "devices.json", line: 1 }],
      ],
    ]);
  });

  it("rejects a tag file without an identifier header", async () => {
    // A headerless list cannot be told from an unknown header, so both are rejected.
    write("users/a.csv", "extId,Email\nu1,u1@example.com\nu.2,u2@example.com\n");
    write("tags/upload.csv", "u1\nu.2\n");
    await expect(merged()).rejects.toThrow(
      'tags/upload.csv: line 1 has no identifier column (headers seen: "u1")',
    );
  });

  it("removes its staging folder when closed", async () => {
    write("users/a.csv", "extId\nu1\n");
    const { stagingDir } = await merged();
    expect(() => readdirSync(stagingDir)).toThrow(/ENOENT/);
  });
});
