import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { z } from "zod";
import { SnapshotFileError, SnapshotTamperedError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { findJsonSyntaxError, locateJsonPath, locationOfOffset } from "../core/json-location.js";
import { parseJsonText } from "../snapshot/json-stream.js";
import {
  campaignSchema,
  listFileSchema,
  manifestSchema,
  segmentSchema,
  type CampaignDefinition,
  type SegmentDefinition,
  type SnapshotManifest,
} from "./schema-campaigns.js";
import { journeySchema, type JourneyDefinition } from "./schema-journeys.js";
import {
  surveySchema,
  widgetSchema,
  type SurveyDefinition,
  type WidgetDefinition,
} from "./schema-widgets.js";

/** Definitions the inventory needs. A list is null when its file is not in the snapshot. */
export interface InventorySnapshot {
  dir: string;
  manifest: SnapshotManifest;
  journeys: JourneyDefinition[] | null;
  widgets: WidgetDefinition[] | null;
  surveys: SurveyDefinition[] | null;
  campaigns: CampaignDefinition[] | null;
  segments: SegmentDefinition[] | null;
}

/** Maximum number of problems listed per file. The rest are only counted. */
const MAX_ISSUES_PER_FILE = 20;

const definitionFiles = {
  journeys: { file: "journeys.json", schema: listFileSchema(journeySchema, ["journeys", "list"]) },
  widgets: { file: "widgets.json", schema: listFileSchema(widgetSchema, ["widgets", "list"]) },
  surveys: { file: "surveys.json", schema: listFileSchema(surveySchema, ["surveys", "list"]) },
  campaigns: {
    file: "campaigns.json",
    schema: listFileSchema(campaignSchema, ["campaigns", "messages", "list"]),
  },
  segments: { file: "segments.json", schema: listFileSchema(segmentSchema, ["segments", "list"]) },
} as const;

type DefinitionKey = keyof typeof definitionFiles;

interface FileResult<T> {
  value: T | null;
  problems: string[];
}

/**
 * Read and validate the snapshot files the inventory is built from. Every problem in every file
 * is collected before one error is raised, so a person can fix them all in one pass.
 */
export async function readInventorySnapshot(
  dir: string,
  logger: Logger,
): Promise<InventorySnapshot> {
  const manifestResult = await readJsonFile(dir, "manifest.json", manifestSchema, true);
  const manifest = manifestResult.value;
  const problems = [...manifestResult.problems];
  const lists: Partial<Record<DefinitionKey, unknown[] | null>> = {};

  for (const [key, { file, schema }] of Object.entries(definitionFiles)) {
    const result = await readJsonFile(dir, file, schema, false, manifest);
    problems.push(...result.problems);
    lists[key as DefinitionKey] = result.value;
    if (result.value === null && result.problems.length === 0) {
      logger.info({ file }, "snapshot has no %s; its inventory section is marked as missing", file);
    }
  }

  if (problems.length > 0 || manifest === null) {
    throw new SnapshotFileError(
      dir,
      `the snapshot cannot be rendered as an inventory:\n  ${problems.join("\n  ")}`,
    );
  }

  return {
    dir,
    manifest,
    journeys: lists.journeys as JourneyDefinition[] | null,
    widgets: lists.widgets as WidgetDefinition[] | null,
    surveys: lists.surveys as SurveyDefinition[] | null,
    campaigns: lists.campaigns as CampaignDefinition[] | null,
    segments: lists.segments as SegmentDefinition[] | null,
  };
}

async function readJsonFile<T extends z.ZodType>(
  dir: string,
  file: string,
  schema: T,
  required: boolean,
  manifest?: SnapshotManifest | null,
): Promise<FileResult<z.output<T>>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !required) {
      return { value: null, problems: [] };
    }

    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : String(error);
    return { value: null, problems: [`${file}: ${reason} in ${dir}`] };
  }

  if (manifest) {
    verifyHash(file, bytes, manifest);
  }

  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { value: null, problems: [describeSyntaxError(file, text, error as Error)] };
  }
  try {
    // Valid JSON may still repeat a key, whose first value JSON.parse drops without a word.
    parseJsonText(text, file);
  } catch (error) {
    if (error instanceof SnapshotFileError) return { value: null, problems: [error.message] };
    throw error;
  }

  const parsed = schema.safeParse(data);
  if (parsed.success) {
    return { value: parsed.data, problems: [] };
  }

  const issues = flattenUnionIssues(parsed.error.issues);
  const problems = issues
    .slice(0, MAX_ISSUES_PER_FILE)
    .map((issue) => describeIssue(file, text, data, issue));
  if (issues.length > MAX_ISSUES_PER_FILE) {
    problems.push(`${file}: ${issues.length - MAX_ISSUES_PER_FILE} more problems not listed`);
  }
  return { value: null, problems };
}

/**
 * Compare a file with its sha256 in manifest.json. A manifest without hashes (an older pull)
 * is accepted because there is nothing to compare with.
 */
function verifyHash(file: string, bytes: Buffer, manifest: SnapshotManifest): void {
  if (manifest.hashes.size === 0) {
    return;
  }

  const expected = manifest.hashes.get(file);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (expected === undefined) {
    throw new SnapshotTamperedError(
      `${file} is not listed in manifest.json; the snapshot was changed after the pull`,
    );
  }

  if (expected.toLowerCase() !== actual) {
    throw new SnapshotTamperedError(
      `${file} does not match its sha256 in manifest.json (expected ${expected}, found ${actual}); ` +
        "the snapshot was changed after the pull",
    );
  }
}

function describeSyntaxError(file: string, text: string, error: Error): string {
  const offset = findJsonSyntaxError(text);
  if (offset === undefined) {
    return `${file}: invalid JSON: ${error.message}`;
  }

  const { line, column } = locationOfOffset(text, offset);
  const found =
    offset < text.length ? JSON.stringify(text.slice(offset, offset + 12)) : "end of file";
  return `${file} line ${line}, column ${column}: invalid JSON at ${found}`;
}

function describeIssue(file: string, text: string, data: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path;
  const located = locateJsonPath(text, path) ?? locateJsonPath(text, path.slice(0, -1));
  const where = located ? ` line ${located.line}, column ${located.column}` : "";
  const pointer = formatPath(path);
  const value = valueAt(data, path);
  const shownValue = value === undefined ? "missing value" : truncate(JSON.stringify(value), 80);
  return `${file}${where} at ${pointer}: ${shownValue}: ${issue.message}`;
}

/**
 * Replace a failed union by the issues of the branch whose type matched, so that a wrong field
 * deep inside an object is reported at its own path instead of as "Invalid input" at the union.
 */
function flattenUnionIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== "invalid_union" || issue.errors.length === 0) {
      return [issue];
    }

    const matched = issue.errors.find(
      (branch) =>
        !branch.every((inner) => inner.code === "invalid_type" && inner.path.length === 0),
    );
    if (matched) {
      const nested = matched.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
      return flattenUnionIssues(nested as z.core.$ZodIssue[]);
    }

    const expected = issue.errors
      .flat()
      .map((inner) => (inner.code === "invalid_type" ? inner.expected : null))
      .filter((name): name is NonNullable<typeof name> => name !== null);
    const message = `expected ${[...new Set(expected)].join(" or ")}`;
    return [{ ...issue, message }];
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) {
    return "(top level)";
  }

  return path
    .map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`))
    .join("")
    .replace(/^\./, "");
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const key of path) {
    if (current === null || typeof current !== "object") {
      return undefined;
    }

    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
