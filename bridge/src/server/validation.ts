import type { z } from "zod";
import { RequestValidationError, type RequestIssue } from "./errors.js";

/** Validate `value` against `schema`, raising one error that lists every issue with its path. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = "",
): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;

  const issues: RequestIssue[] = parsed.error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "(body)",
    message: issue.message,
  }));
  throw new RequestValidationError(issues);
}

/** Parse the `:id` route parameter: Odoo record ids are positive integers. */
export function parseRunId(raw: unknown): number {
  const text = typeof raw === "string" ? raw : "";
  if (/^[1-9][0-9]{0,9}$/.test(text) && Number(text) <= 2_147_483_647) return Number(text);

  throw new RequestValidationError([
    { path: "id", message: `run id must be a positive integer (got "${text.slice(0, 40)}")` },
  ]);
}
