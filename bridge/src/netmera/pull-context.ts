import type { Logger } from "../core/log.js";
import type { NetmeraClient } from "./http-client.js";
import type { PullJournal } from "./journal.js";
import type { FrozenOptions, PullOptions } from "./pull-options.js";
import type { PullProgress } from "./progress.js";
import type { SnapshotWriter } from "./snapshot-files.js";

export interface PullContext {
  client: NetmeraClient;
  journal: PullJournal;
  writer: SnapshotWriter;
  frozen: FrozenOptions;
  options: PullOptions;
  progress: PullProgress;
  logger: Logger;
}

/**
 * Run one named step unless the journal has it as done; the step's summary becomes a progress
 * line. A step is marked done only after all its files are in place.
 */
export async function runStep(
  context: PullContext,
  name: string,
  label: string,
  work: () => Promise<string>,
): Promise<void> {
  if (context.journal.isDone(name)) {
    return;
  }

  context.progress.beginStep(label);
  const detail = await work();
  context.journal.markDone(name);
  context.progress.endStep(detail);
}

/** Items of a JSON object field, or an empty list when the response had no body. */
export function listField(body: unknown, field: string): unknown[] {
  const value = (body as Record<string, unknown> | null)?.[field];
  return Array.isArray(value) ? value : [];
}

export function stringField(item: unknown, field: string): string | undefined {
  const value = (item as Record<string, unknown> | null)?.[field];
  if (typeof value === "number") {
    return String(value);
  }

  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}
