import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";

export const planManifestSchema = z.looseObject({
  snapshotHash: z.string(),
  mappingHash: z.string(),
  sourceTimeZone: z.string().optional(),
  createdAt: z.string().optional(),
  phases: z.array(z.object({ name: z.string(), file: z.string(), rows: z.number() })),
});

export type PlanManifest = z.infer<typeof planManifestSchema>;

export interface PlanRow {
  xml_id?: string;
  values: Record<string, unknown>;
  hash?: string;
  source?: { file: string; line: number };
}

/** Read `DIR/plan/manifest.json` as `plan` writes it. */
export async function readPlanManifest(planDir: string): Promise<PlanManifest> {
  const path = join(planDir, "plan", "manifest.json");
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError(
      `${path} cannot be read (${(error as Error).message}); run \`netmera-odoo plan SNAPSHOT --out ${planDir}\` first`,
      { cause: error },
    );
  }

  const parsed = planManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`${path} is not a plan manifest: ${issues}`);
  }
  return parsed.data;
}

/** Stream the rows of one phase; a phase the plan did not write yields nothing. */
export async function* readPhaseRows(
  planDir: string,
  manifest: PlanManifest,
  phase: string,
): AsyncGenerator<PlanRow> {
  const entry = manifest.phases.find((p) => p.name === phase);
  if (!entry) {
    return;
  }

  const path = join(planDir, "plan", entry.file);
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() === "") {
      continue;
    }
    try {
      yield JSON.parse(line) as PlanRow;
    } catch (error) {
      throw new ConfigError(
        `${path} line ${number} is not valid JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
