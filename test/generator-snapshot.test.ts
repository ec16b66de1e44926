import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSnapshot } from "../scripts/lib/generator/generate.js";
import { makeUser, istanbulEpoch } from "../scripts/lib/generator/users.js";

const dirs: string[] = [];

function generate(seed: string, users = 40, eventsPerUser = 5): string {
  const out = mkdtempSync(join(tmpdir(), "mapping-gen-"));
  dirs.push(out);
  generateSnapshot({ users, eventsPerUser, seed, out });
  return out;
}

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

function text(root: string, path: string): string {
  return readFileSync(join(root, path), "utf8");
}

let snapshot: string;

beforeAll(() => {
  snapshot = generate("7");
});

afterAll(() => {
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("generateSnapshot determinism", () => {
  it("writes identical bytes for the same seed", () => {
    const again = generate("7");
    expect(text(again, "manifest.json")).toBe(text(snapshot, "manifest.json"));
  });

  it("writes different users for another seed", () => {
    const other = generate("8");
    expect(text(other, "users/people-export.csv")).not.toBe(
      text(snapshot, "users/people-export.csv"),
    );
  });

  it("builds one user alike whatever the snapshot size", () => {
    expect(makeUser("7", 25)).toEqual(makeUser("7", 25));
  });
});

describe("generateSnapshot manifest", () => {
  it("lists every other file with its sha256", () => {
    const manifest = JSON.parse(text(snapshot, "manifest.json")) as {
      app: string;
      pulledAt: string;
      sourceTimeZone: string;
      files: Record<string, string>;
    };
    const files = listFiles(snapshot).filter((path) => path !== "manifest.json");
    expect(Object.keys(manifest.files).sort()).toEqual(files);
    for (const path of files) {
      const digest = createHash("sha256")
        .update(readFileSync(join(snapshot, path)))
        .digest("hex");
      expect(manifest.files[path], path).toBe(digest);
    }
    expect(manifest.sourceTimeZone).toBe("Europe/Istanbul");
  });
});

describe("generateSnapshot awkward cases", () => {
  it("writes the user files in four encodings and delimiters", () => {
    const people = readFileSync(join(snapshot, "users/people-export.csv"));
    expect([...people.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(people.toString("utf8").split("\r\n")[0]).toContain("External ID;Name;Surname");

    const vip = readFileSync(join(snapshot, "users/segment-vip.csv"));
    expect([...vip.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(vip.subarray(2).toString("utf16le").split("\r\n")[0]).toContain("extId\tname\tsurname");

    const istanbul = readFileSync(join(snapshot, "users/segment-istanbul.csv"));
    expect(istanbul.includes(Buffer.from("İ", "utf8"))).toBe(false);
    expect(istanbul.includes(0xdd)).toBe(true);
    expect(iconv.decode(istanbul, "win1254").split("\r\n")[0]).toContain("External Id|First Name");

    expect(text(snapshot, "users/segment-europe.csv").split("\r\n")[0]).toContain(
      "externalId,name",
    );
  });

  it("writes the literal null in the People export", () => {
    const people = text(snapshot, "users/people-export.csv");
    expect(people).toMatch(/;null;/);
  });

  it("contains extIds differing by case, with slashes and non-ASCII", () => {
    const people = text(snapshot, "users/people-export.csv");
    const extIds = people.split("\r\n").map((line) => line.split(";")[0]);
    expect(extIds).toContain("ayse.k");
    expect(extIds).toContain("AYSE.K");
    expect(extIds).toContain("tr/istanbul/4471");
    expect(extIds).toContain("müşteri.çağrı.42");
    expect(extIds.filter((id) => id === "null")).toHaveLength(2);
  });

  it("gives one extId two cities in two files", () => {
    const people = text(snapshot, "users/people-export.csv");
    const vip = readFileSync(join(snapshot, "users/segment-vip.csv"))
      .subarray(2)
      .toString("utf16le");
    const peopleRow = people.split("\r\n").find((line) => line.startsWith("C1000006;"));
    const vipRow = vip.split("\r\n").find((line) => line.startsWith("C1000006\t"));
    expect(peopleRow?.split(";")[8]).toBe("İzmir");
    expect(vipRow?.split("\t")[7]).toBe("Ankara");
  });

  it("contains an invalid email, an invalid date and formula-looking names", () => {
    const people = text(snapshot, "users/people-export.csv");
    expect(people).toContain(";gökhan.demir@@example;");
    expect(people).toContain(";1990-13-45;");
    expect(people).toContain('"=HYPERLINK(""https://evil.example/x"",""Tıkla"")"');
    expect(people).toContain(";+90 532 000 00 00;");
    expect(people).toContain(";@SUM(A1:A9);");
  });

  it("writes dates of birth as Istanbul local midnight", () => {
    expect(istanbulEpoch(1985, 7, 1)).toBe(Date.parse("1985-06-30T21:00:00Z"));
    expect(istanbulEpoch(1985, 1, 1)).toBe(Date.parse("1984-12-31T22:00:00Z"));
    expect(istanbulEpoch(2020, 1, 1)).toBe(Date.parse("2019-12-31T21:00:00Z"));
  });

  it("has a user with 30 or more page views on one day", () => {
    const counts = new Map<string, number>();
    for (const path of listFiles(snapshot).filter((p) => p.startsWith("events/"))) {
      for (const line of text(snapshot, path).split("\r\n").slice(1)) {
        const [user, , code, timestamp] = line.split(",");
        if (code === "page_view" && timestamp) {
          const key = `${user} ${timestamp.slice(0, 10)}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
    }
    expect(Math.max(...counts.values())).toBeGreaterThanOrEqual(30);
  });

  it("flags large campaign assets and a script in a widget", () => {
    const campaigns = JSON.parse(text(snapshot, "campaigns.json")) as {
      campaigns: { channel: string; assets: { type: string; sizeBytes: number }[] }[];
    };
    const assets = campaigns.campaigns.flatMap((c) => c.assets);
    expect(assets.some((a) => a.type === "image" && a.sizeBytes > 1_000_000)).toBe(true);
    expect(assets.some((a) => a.type === "video" && a.sizeBytes > 12_000_000)).toBe(true);
    expect(new Set(campaigns.campaigns.map((c) => c.channel))).toEqual(
      new Set(["PUSH", "EMAIL", "SMS", "IN_APP"]),
    );
    expect(text(snapshot, "widgets.json")).toContain("<script>");
  });

  it("keeps push tokens in devices.csv only", () => {
    const devices = parse(text(snapshot, "devices.csv"), { columns: true }) as { token: string }[];
    const tokens = devices.map((row) => row.token);
    expect(tokens.length).toBeGreaterThan(10);
    for (const path of listFiles(snapshot).filter((p) => p !== "devices.csv")) {
      const content = readFileSync(join(snapshot, path)).toString("latin1");
      for (const token of tokens) {
        expect(content.includes(token.slice(0, 40)), `${path} contains a push token`).toBe(false);
      }
    }
  });
});
