import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RequestValidationError } from "./errors.js";
import type { DataDir } from "./snapshot-store.js";

/** Inputs of one run that the bridge keeps between requests. */
export interface RunInputs {
  snapshotId?: string;
  /** sha256 of the mapping file content, hex. */
  mappingSha256?: string;
  /** Snapshot and mapping the plan in `work/` was made from. */
  planned?: { snapshotId: string; mappingSha256: string };
}

/**
 * A run's folder under `<data dir>/runs/<id>`: `run.json` (the inputs above), `mapping.json`
 * (the last mapping sent), `work/` (the plan directory) and `inventory/`.
 */
export class RunFolder {
  readonly dir: string;

  constructor(
    private readonly dataDir: DataDir,
    readonly runId: number,
  ) {
    this.dir = dataDir.runDir(runId);
  }

  get mappingFile(): string {
    return join(this.dir, "mapping.json");
  }

  get planDir(): string {
    return join(this.dir, "work");
  }

  get inventoryDir(): string {
    return join(this.dir, "inventory");
  }

  async read(): Promise<RunInputs> {
    const path = join(this.dir, "run.json");
    if (!existsSync(path)) return {};
    return JSON.parse(await readFile(path, "utf8")) as RunInputs;
  }

  async update(change: Partial<RunInputs>): Promise<RunInputs> {
    const next = { ...(await this.read()), ...change };
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, "run.json");
    await writeFile(`${path}.tmp`, `${JSON.stringify(next, null, 2)}\n`);
    await rename(`${path}.tmp`, path);
    return next;
  }

  /**
   * Settle the snapshot and mapping a job uses: the ones in the request, else the ones an
   * earlier job of this run used. Every missing input is reported at once.
   */
  async resolveInputs(request: {
    snapshotId?: string;
    mapping?: Record<string, unknown>;
    needMapping: boolean;
  }): Promise<{ snapshotId: string; snapshotDir: string; mappingSha256: string }> {
    const known = await this.read();
    const snapshotId = request.snapshotId ?? known.snapshotId;
    const issues = [];
    if (!snapshotId) {
      issues.push({ path: "snapshotId", message: "required: this run has no snapshot yet" });
    }
    if (request.needMapping && !request.mapping && !known.mappingSha256) {
      issues.push({ path: "mapping", message: "required: this run has no mapping yet" });
    }
    if (issues.length > 0) throw new RequestValidationError(issues);

    const snapshotDir = this.dataDir.existingSnapshotDir(snapshotId!);
    let mappingSha256 = known.mappingSha256 ?? "";
    if (request.mapping) {
      const text = `${JSON.stringify(request.mapping, null, 2)}\n`;
      mappingSha256 = createHash("sha256").update(text).digest("hex");
      await mkdir(this.dir, { recursive: true });
      await writeFile(`${this.mappingFile}.tmp`, text);
      await rename(`${this.mappingFile}.tmp`, this.mappingFile);
    }
    await this.update({ snapshotId, mappingSha256: mappingSha256 || undefined });
    return { snapshotId: snapshotId!, snapshotDir, mappingSha256 };
  }
}
