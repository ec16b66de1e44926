import { z } from "zod";
import { locateJsonPath } from "../core/json-location.js";

/**
 * zod schemas of the snapshot's JSON files. They follow what Netmera's REST API returns (see the
 * field notes per schema) and keep unknown fields, because Netmera omits empty fields and adds
 * new ones without notice.
 */

const idSchema = z.union([z.string(), z.number()]).transform((id) => String(id));
const optionalText = z.string().nullish();

/** One entry of GET /rest/3.0/app/profile-attributes (`code`, `dataType`, `name` documented). */
export const profileAttributeSchema = z.looseObject({
  code: z.string().min(1),
  dataType: z.string().optional(),
  name: optionalText,
  label: optionalText,
  isArray: z.boolean().optional(),
  description: optionalText,
});

/**
 * The file as the API returns it, `{standardProfileAttributes: […], customProfileAttributes:
 * […]}`, or a plain list of definitions. A plain list is rewritten into the object before
 * validation rather than tried as a second union branch: a union that fails names no field
 * ("Invalid input" at the root), while one schema names the field and what it expected.
 */
export const profileAttributesFileSchema = z.preprocess(
  (file) =>
    Array.isArray(file) ? { standardProfileAttributes: [], customProfileAttributes: file } : file,
  z.looseObject({
    standardProfileAttributes: z.array(profileAttributeSchema).default([]),
    customProfileAttributes: z.array(profileAttributeSchema).default([]),
  }),
);

/** One entry of GET /rest/3.0/app/events. */
export const eventDefinitionSchema = z.looseObject({
  code: z.string().min(1),
  name: optionalText,
  attributes: z.array(z.unknown()).optional(),
});

export const eventDefinitionsFileSchema = z.looseObject({
  standardEvents: z.array(eventDefinitionSchema).default([]),
  customEvents: z.array(eventDefinitionSchema).default([]),
});

/** One entry of GET /rest/3.0/getSegments, plus the frozen rule text the pull adds. */
export const segmentSchema = z.looseObject({
  id: idSchema,
  name: z.string().min(1),
  userCount: z.number().nullish(),
  type: z.string().optional(),
  status: z.string().optional(),
  ruleText: optionalText,
});

/** A list of segments, or the API's page `{list: […]}` (one schema, for the reason above). */
export const segmentsFileSchema = z.preprocess(
  (file) =>
    file !== null && typeof file === "object" && !Array.isArray(file) && "list" in file
      ? file.list
      : file,
  z.array(segmentSchema),
);

/** One member of GET /rest/3.0/getSegmentUsers (`externalId`, `email`, `msisdn`). */
export const memberRecordSchema = z.looseObject({
  externalId: optionalText,
  extId: optionalText,
  email: optionalText,
  msisdn: z.union([z.string(), z.number()]).nullish(),
});

/**
 * One installation from GET /rest/3.0/getDeviceTokens or getDevices. Field names differ between
 * Netmera's document versions (`token` and `deviceModel` against `deviceToken` and
 * `installationId`), so all of them are accepted.
 */
export const deviceRecordSchema = z.looseObject({
  extId: optionalText,
  externalId: optionalText,
  installationId: optionalText,
  platform: optionalText,
  deviceModel: optionalText,
  model: optionalText,
  appVersion: optionalText,
  appV: optionalText,
  osVersion: optionalText,
  osV: optionalText,
  token: optionalText,
  deviceToken: optionalText,
  pushPermitted: z.boolean().nullish(),
});

const netmeraErrorSchema = z.looseObject({
  netmeraCode: z.number().nullish(),
  message: z.string().nullish(),
});

/** One line of `profiles/*.ndjson` (pull): getProfileAttributes' response, or the error. */
export const profileRecordSchema = z.looseObject({
  extId: optionalText,
  profile: z.record(z.string(), z.unknown()).nullish(),
  error: netmeraErrorSchema.nullish(),
});

/** One line of `user-devices/*.ndjson` (pull): getDevices' response for one user, or the error. */
export const userDevicesRecordSchema = z.looseObject({
  extId: optionalText,
  devices: z.array(deviceRecordSchema).nullish(),
  error: netmeraErrorSchema.nullish(),
});

export type ProfileAttribute = z.infer<typeof profileAttributeSchema>;
export type EventDefinition = z.infer<typeof eventDefinitionSchema>;
export type Segment = z.infer<typeof segmentSchema>;
export type MemberRecord = z.infer<typeof memberRecordSchema>;
export type DeviceRecord = z.infer<typeof deviceRecordSchema>;

/** Description of each zod type name, in the words of a JSON file. */
const EXPECTED: Record<string, string> = {
  array: "a list ([…])",
  object: "an object ({…})",
  string: "a text in double quotes",
  number: "a number",
  boolean: "true or false",
};

function found(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  const json = JSON.stringify(value);
  const text = json.length > 40 ? `${json.slice(0, 40)}…` : json;
  return typeof value === "string" ? `the text ${text}` : `the ${typeof value} ${text}`;
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(...issues.map((issue) => issue.path.length));
}

/**
 * Replace each failed union ("Invalid input" at the union's path) by the issues of the branch
 * that got furthest into the file, which is the shape the file most likely meant.
 */
function withUnionBranches(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== "invalid_union" || issue.errors.length === 0) {
      return [issue];
    }
    const branch = issue.errors.reduce((best, next) => (depth(next) > depth(best) ? next : best));
    const nested = branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
    return withUnionBranches(nested as z.core.$ZodIssue[]);
  });
}

/**
 * Describe schema issues of a JSON file as `field (line L, column C): expected …, found …`, so
 * that a file of the wrong shape names the field to fix. `text` is the file's text without a
 * byte-order mark and `json` its parsed value. A missing field is located at its parent.
 */
export function describeSchemaIssues(
  text: string,
  json: unknown,
  issues: readonly z.core.$ZodIssue[],
): string {
  return withUnionBranches(issues)
    .map((issue) => {
      // A list at the root is indexed by numbers only, so a leading key is the object a schema
      // wrapped the list in before validating it, and is not in the file.
      const path =
        Array.isArray(json) && typeof issue.path[0] === "string" ? issue.path.slice(1) : issue.path;
      const field = path.join(".") || "(root)";
      const at = locateJsonPath(text, path) ?? locateJsonPath(text, path.slice(0, -1));
      const where = at ? ` (line ${at.line}, column ${at.column})` : "";
      const expected = issue.code === "invalid_type" ? EXPECTED[issue.expected] : undefined;
      const problem = expected
        ? `expected ${expected}, found ${found(valueAt(json, path))}`
        : issue.message;
      return `${field}${where}: ${problem}`;
    })
    .join("; ");
}
