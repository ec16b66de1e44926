/**
 * Fast snapshot generator for scripts/bench-plan.ts. It writes the files plan reads (user
 * exports, memberships, tags, devices with push tokens, events) with a simple seeded random
 * source and plain buffered writes, so that a million users take seconds rather than minutes.
 * The sample generator in scripts/generate-snapshot.ts varies encodings and mistakes for
 * realism; this one varies only what changes the cost of plan.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, relative, sep } from "node:path";

export interface BenchSnapshotOptions {
  dir: string;
  users: number;
  eventsPerUser: number;
}

const NAMES = [
  "Ayşe",
  "Mehmet",
  "Elif",
  "Çağrı",
  "Gökhan",
  "Şükrü",
  "Zeynep",
  "İlkay",
  "Lukas",
  "Chloé",
];
const SURNAMES = ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Müller", "Garcia"];
const CITIES = ["İstanbul", "Ankara", "İzmir", "Bursa", "Antalya", "Berlin", "Paris"];
const COUNTRIES = ["Türkiye", "TR", "Turkey", "Almanya", "DE", "France"];
const LANGUAGES = ["tr", "Türkçe", "en", "English", "de", "fr_FR"];
const CATEGORIES = ["elektronik", "giyim", "kitap", "spor", "ev", "kozmetik"];
const EVENTS = ["page_view", "add_to_cart", "purchase", "app_open", "search"];
const MODELS = ["SM-G991B", "iPhone13,2", "SM-A525F", "iPhone15,3", "Pixel 8"];

/** Buffered file writer: one write system call per megabyte. */
class Sink {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;

  constructor(path: string) {
    mkdirSync(join(path, ".."), { recursive: true });
    this.fd = openSync(path, "w");
  }

  line(text: string): void {
    this.parts.push(text, "\n");
    this.size += text.length + 1;
    if (this.size > 1 << 20) {
      this.flush();
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.parts.length > 0) {
      writeSync(this.fd, this.parts.join(""));
      this.parts = [];
      this.size = 0;
    }
  }
}

/** xorshift32: deterministic and fast; quality does not matter for load generation. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

function pick<T>(random: () => number, list: T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => relative(dir, join(dir, path)).split(sep).join("/"))
    .filter((path) => path !== "manifest.json")
    .sort();
}

/** Write the snapshot, its manifest and `<dir>.mapping.json`. */
export async function generateBenchSnapshot(options: BenchSnapshotOptions): Promise<void> {
  const { dir, users, eventsPerUser } = options;
  const random = randomSource(users);
  mkdirSync(dir, { recursive: true });
  writeDefinitions(dir);

  const people = new Sink(join(dir, "users", "people-export.csv"));
  people.line(
    "\ufeffExternal ID;Name;Surname;Email;MSISDN;Date of Birth;Gender;City;Country;Language;loyaltyPoints;lifetimeValue;favoriteCategories;Device Count;Device Type;OS;Model",
  );
  const vip = new Sink(join(dir, "users", "segment-vip.csv"));
  vip.line("extId,email,city,loyaltyPoints");
  const segment = new Sink(join(dir, "segment-users", "1001.csv"));
  segment.line("externalId,msisdn,email");
  const tag = new Sink(join(dir, "tags", "vip.csv"));
  tag.line("External ID,Email");
  const devices = new Sink(join(dir, "devices.csv"));
  devices.line("platform,extId,installationId,model,appVersion,osVersion,token,pushPermitted");
  const events = new Sink(join(dir, "events", "2024-01.csv"));
  events.line("externalId,installationId,eventCode,timestamp,attributes");

  const dayMs = 86_400_000;
  for (let index = 0; index < users; index += 1) {
    const extId = `C${String(1_000_000 + index)}${index % 7 === 0 ? ".tr/ş" : ""}`;
    const name = pick(random, NAMES);
    const surname = pick(random, SURNAMES);
    const email = `user${index}@example.com.tr`;
    const msisdn = `90532${String(index % 10_000_000).padStart(7, "0")}`;
    // Midnight in Istanbul (UTC+3) of a day between 1950 and 2005.
    const birth = (Math.floor(random() * 20_000) - 7_300) * dayMs - 3 * 3_600_000;
    const points = Math.floor(random() * 900);
    const value = (random() * 5000).toFixed(2);
    const categories = JSON.stringify([pick(random, CATEGORIES), pick(random, CATEGORIES)]);
    const platform = random() < 0.6 ? "ANDROID" : "IOS";
    const model = pick(random, MODELS);
    people.line(
      [
        extId,
        name,
        surname,
        email,
        msisdn,
        birth,
        index % 3,
        pick(random, CITIES),
        pick(random, COUNTRIES),
        pick(random, LANGUAGES),
        points,
        value,
        categories,
        1,
        platform,
        platform === "IOS" ? "17.2" : "14",
        model,
      ].join(";"),
    );
    if (index % 10 === 0) vip.line(`${extId},${email},${pick(random, CITIES)},${points}`);
    if (index % 5 === 0) segment.line(`${extId},${msisdn},${email}`);
    if (index % 10 === 3) tag.line(`${extId},${email}`);
    const installation = `inst-${index}`;
    const token = createHash("sha256").update(`token-${index}`).digest("hex");
    devices.line(`${platform},${extId},${installation},"${model}",5.4.0,14,${token},true`);
    if (index % 20 === 0)
      devices.line(`ANDROID,,anon-${index},"${model}",5.4.0,14,anon${token},false`);
    for (let event = 0; event < eventsPerUser; event += 1) {
      const at = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 30 * dayMs)).toISOString();
      events.line(
        `${extId},${installation},${pick(random, EVENTS)},${at},"{""page"":""/p/${event}""}"`,
      );
    }
  }
  for (const sink of [people, vip, segment, tag, devices, events]) {
    sink.close();
  }

  const files: Record<string, string> = {};
  for (const path of listFiles(dir)) {
    files[path] = createHash("sha256")
      .update(readFileSync(join(dir, path)))
      .digest("hex");
  }
  writeFileSync(
    join(dir, "manifest.json"),
    `${JSON.stringify({ app: "bench", pulledAt: "2024-02-01T00:00:00Z", sourceTimeZone: "Europe/Istanbul", files }, null, 2)}\n`,
  );
  writeFileSync(`${dir}.mapping.json`, `${JSON.stringify(benchMapping(), null, 2)}\n`);
}

function writeDefinitions(dir: string): void {
  const attribute = (code: string, dataType: string, name: string, isArray = false) => ({
    code,
    dataType,
    name,
    ...(isArray ? { isArray } : {}),
  });
  writeFileSync(
    join(dir, "profile-attributes.json"),
    JSON.stringify({
      standardProfileAttributes: [
        attribute("name", "STRING", "Name"),
        attribute("surname", "STRING", "Surname"),
        attribute("email", "STRING", "Email"),
        attribute("msisdn", "STRING", "MSISDN"),
        attribute("dateOfBirth", "DATE", "Date of Birth"),
        attribute("gender", "INTEGER", "Gender"),
        attribute("city", "STRING", "City"),
        attribute("country", "STRING", "Country"),
        attribute("language", "STRING", "Language"),
      ],
      customProfileAttributes: [
        attribute("loyaltyPoints", "INTEGER", "Sadakat Puanı"),
        attribute("lifetimeValue", "NUMBER", "Toplam Harcama"),
        attribute("favoriteCategories", "STRING", "Favori Kategoriler", true),
      ],
    }),
  );
  writeFileSync(
    join(dir, "event-definitions.json"),
    JSON.stringify({
      standardEvents: [],
      customEvents: EVENTS.map((code) => ({ code, name: code })),
    }),
  );
  writeFileSync(
    join(dir, "segments.json"),
    JSON.stringify({ list: [{ id: 1001, name: "VIP", userCount: 0, type: "STANDARD" }] }),
  );
  writeFileSync(join(dir, "owners.csv"), "name,surname,email\nSelin,Kaya,selin@example.com\n");
  writeFileSync(
    join(dir, "companies.csv"),
    "companyId,name,domain\nC-1,Anadolu,anadolu.example.com\n",
  );
  writeFileSync(join(dir, "campaigns.json"), JSON.stringify({ list: [] }));
}

function benchMapping(): unknown {
  const partner = (
    field: string | null,
    type: string | null,
    action: string,
    extra: object = {},
  ) => ({ model: "res.partner", field, type, action, ...extra });
  const entry = (kind: string, name: string, target: object, options?: object) => ({
    source: { kind, name },
    target,
    confidence: 1,
    reason: "benchmark",
    review: false,
    ...(options ? { options } : {}),
  });
  const selection = [
    ["male", "Male"],
    ["female", "Female"],
    ["not_specified", "Not specified"],
  ];
  return {
    version: 1,
    snapshotHash: "benchmark",
    proposedAt: "2024-02-01T00:00:00.000Z",
    settings: { eventConsolidationThreshold: 10, arraySeparator: ";" },
    entries: [
      entry("attribute", "name", partner("name", "char", "existing")),
      entry("attribute", "surname", partner("name", "char", "existing")),
      entry("attribute", "email", partner("email", "char", "existing")),
      entry("attribute", "msisdn", partner("mobile", "char", "existing")),
      entry("attribute", "dateOfBirth", partner("x_netmera_date_of_birth", "date", "create")),
      entry(
        "attribute",
        "gender",
        partner("x_netmera_gender", "selection", "create", { selection }),
      ),
      entry("attribute", "city", partner("city", "char", "existing")),
      entry("attribute", "country", partner("country_id", "many2one", "existing")),
      entry("attribute", "language", partner("lang", "selection", "existing")),
      entry("attribute", "loyaltyPoints", partner("x_netmera_loyalty_points", "integer", "create")),
      entry("attribute", "lifetimeValue", partner("x_netmera_lifetime_value", "float", "create")),
      entry(
        "attribute",
        "favoriteCategories",
        { model: "res.partner.category", field: "category_id", type: "many2many", action: "tag" },
        { arrayHandling: "tags" },
      ),
      entry("column", "External ID", partner("netmera_external_id", "char", "existing")),
      entry("column", "Model", partner("netmera_device_model", "char", "existing")),
      entry("column", "Device Type", partner("netmera_os", "char", "existing")),
      entry("column", "OS", partner(null, null, "skip")),
      entry("column", "Device Count", partner(null, null, "skip")),
      ...EVENTS.map((code) =>
        entry("event", code, { model: "mail.message", field: null, type: null, action: "note" }),
      ),
    ],
    confirmation: null,
  };
}
