import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { detectDelimiter } from "../snapshot/delimiter.js";
import { ImportCsvFile } from "./csv-file.js";
import { readPhaseRows, type PlanManifest } from "./plan-reader.js";

/** The optional last file: each contact's salesperson, found by the Odoo user's login. */
export const SALESPERSON_FILE = "06_res.partner-salesperson.csv";

/** Not imported: the owner e-mails the salesperson file needs, to give each its Odoo login. */
export const OWNERS_FILE = "owners.csv";

export const OWNERS_COLUMNS = ["owner_email", "name", "contacts", "odoo_login"];

export interface Owner {
  email: string;
  name: string;
  contacts: number;
  /** The Odoo login the salesperson file names; the e-mail when none was given. */
  login: string;
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Delimiter of an owner list: spreadsheet programs save `owners.csv` with `;` in locales that
 * write decimal commas, such as Turkish and German. Detected like the snapshot's exports;
 * a file the detection cannot decide is read with commas, and its header check then names it.
 */
function ownersDelimiter(text: string): string {
  try {
    return detectDelimiter(text.replace(/^\ufeff/, ""), OWNERS_FILE);
  } catch {
    return ",";
  }
}

/**
 * Read an owner list in the form of `owners.csv`: `owner_email` and `odoo_login` columns, other
 * columns ignored. An empty login keeps the e-mail. Returns e-mail (lower case) → login.
 */
export async function readOwnerLogins(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      bom: true,
      skip_empty_lines: true,
      delimiter: ownersDelimiter(text),
    }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (error) {
    throw new ConfigError(`${path} is not a CSV file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const header = records[0]?.record.map((column) => column.trim()) ?? [];
  const emailAt = header.indexOf("owner_email");
  const loginAt = header.indexOf("odoo_login");
  if (emailAt < 0 || loginAt < 0) {
    throw new ConfigError(
      `${path} line 1: missing column owner_email or odoo_login (the header of ${OWNERS_FILE} has both); found ${JSON.stringify(header.join(","))}`,
    );
  }

  const logins = new Map<string, string>();
  const lineOf = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    const email = normaliseEmail(record[emailAt] ?? "");
    const login = (record[loginAt] ?? "").trim();
    if (email === "") {
      if (login !== "") {
        throw new ConfigError(
          `${path} line ${info.lines}, column "owner_email": empty, but odoo_login is ${JSON.stringify(login)}`,
        );
      }
      continue;
    }
    if (!email.includes("@")) {
      throw new ConfigError(
        `${path} line ${info.lines}, column "owner_email": ${JSON.stringify(record[emailAt])} is not an e-mail address`,
      );
    }
    const earlier = logins.get(email);
    if (earlier !== undefined && earlier !== (login || email)) {
      throw new ConfigError(
        `${path} line ${info.lines}, column "odoo_login": ${JSON.stringify(login)} for ${email}, but line ${lineOf.get(email)} gives ${JSON.stringify(earlier)}`,
      );
    }
    logins.set(email, login || email);
    lineOf.set(email, info.lines);
  }
  return logins;
}

/** Owner names from the plan's owners phase, by e-mail in lower case. */
async function ownerNames(planDir: string, manifest: PlanManifest): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for await (const row of readPhaseRows(planDir, manifest, "owners")) {
    const { email, name } = row.values;
    if (typeof email === "string" && typeof name === "string") {
      names.set(normaliseEmail(email), name);
    }
  }
  return names;
}

/**
 * List the owners of contacts, sorted by e-mail, with their names from the plan and the login
 * the salesperson file names. Logs the number of given logins that no owner uses.
 */
export async function listOwners(
  planDir: string,
  manifest: PlanManifest,
  counts: Map<string, number>,
  logins: Map<string, string>,
  logger: Logger,
): Promise<Owner[]> {
  const unused = [...logins.keys()].filter((email) => !counts.has(email));
  if (unused.length > 0) {
    const listed = unused.slice(0, 10).join(", ") + (unused.length > 10 ? ", …" : "");
    logger.warn(
      { owners: unused.length },
      `owner logins given for e-mails that own no contact in the plan, so they are not used: ${listed}`,
    );
  }
  const names = await ownerNames(planDir, manifest);
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([email, contacts]) => ({
      email,
      name: names.get(email) ?? "",
      contacts,
      login: logins.get(email) ?? email,
    }));
}

/** Write `owners.csv`, sorted by e-mail. */
export async function writeOwnersFile(path: string, owners: Owner[]): Promise<void> {
  const file = new ImportCsvFile(path, OWNERS_COLUMNS);
  for (const owner of owners) {
    await file.write(
      new Map([
        ["owner_email", { text: owner.email, kind: "text" }],
        ["name", { text: owner.name, kind: "text" }],
        ["contacts", { text: String(owner.contacts), kind: "number" }],
        ["odoo_login", { text: owner.login === owner.email ? "" : owner.login, kind: "text" }],
      ]),
    );
  }
  await file.close();
}
