import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { ConfigError } from "../core/errors.js";
import { describeJsonSyntaxError } from "../snapshot/json-stream.js";
import {
  computeMappingHash,
  mappingSchema,
  type Mapping,
  type MappingConfirmation,
} from "./types.js";

/** Read and validate a mapping file; every schema problem is listed with its JSON path. */
export async function loadMapping(path: string): Promise<Mapping> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" ? "; run `netmera-odoo map SNAPSHOT --out DIR` first" : "";
    throw new ConfigError(`mapping file ${path} cannot be read (${code ?? "error"})${hint}`, {
      cause: error,
    });
  }

  let json: unknown;
  const body = text.replace(/^\ufeff/, "");
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new ConfigError(`mapping file ${path}: ${describeJsonSyntaxError(body, error)}`, {
      cause: error,
    });
  }

  const parsed = mappingSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 20)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new ConfigError(`mapping file ${path} is not a valid mapping: ${issues}`);
  }
  return parsed.data;
}

/** Write the mapping as indented JSON, through a temporary file so a crash leaves no half file. */
export async function saveMapping(path: string, mapping: Mapping): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, `${JSON.stringify(mapping, null, 2)}\n`, "utf8");
  await rename(temporary, path);
}

/**
 * Record who confirmed the mapping, when, and the hashes of the mapping content and of the
 * snapshot. Editing an entry or a setting later, or confirming against another snapshot,
 * changes a hash and so voids the confirmation.
 */
export function confirmMapping(
  mapping: Mapping,
  by: string,
  snapshotHash: string,
  at: Date = new Date(),
): Mapping {
  const name = by.trim();
  if (!name) {
    throw new ConfigError("--by needs the name of the person who reviewed the mapping");
  }

  const confirmation: MappingConfirmation = {
    by: name,
    at: at.toISOString(),
    mappingHash: computeMappingHash(mapping),
    snapshotHash,
  };
  return { ...mapping, snapshotHash, confirmation };
}
