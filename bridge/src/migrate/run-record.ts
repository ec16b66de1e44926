import { ConfigError } from "../core/errors.js";
import type { OdooClient } from "../odoo/client.js";
import { RUN_MODEL } from "../odoo/preflight.js";
import type { SettingNames } from "../odoo/setting-names.js";

/** The addon's run record (`netmera.migration.run`): finding, creating and checking one. */

export interface RunRecord {
  id: number;
  name: string;
  state: string;
  snapshotHash: string;
  mappingHash: string;
  isSample: boolean;
  sampleSize: number;
  /** When the GDPR authorisation was recorded (Odoo UTC text), or false. */
  authorisedAt: string | false;
  agreementRef: string | false;
  /**
   * Description of a waiting run before migrate gave it other options (`a full run`, `a sample
   * of 5 contact(s)`); set only then.
   */
  reusedFrom?: string;
  /** True when this call gave a run created in Odoo its snapshot and mapping. */
  attached?: boolean;
}

export interface RunIdentity {
  snapshotHash: string;
  mappingHash: string;
  /** Full mapping.json text, stored on the run for the audit trail. */
  mappingJson: string;
  confirmedBy: string;
  confirmedAt: string;
  /** Contacts in a sample run; undefined for a full run. */
  sampleSize?: number;
}

const RUN_FIELDS = [
  "name",
  "state",
  "snapshot_hash",
  "mapping_hash",
  "is_sample",
  "sample_size",
  "gdpr_confirmed_at",
  "gdpr_agreement_ref",
];

/** States of a run that is not finished; `migrate` continues such a run. */
const OPEN_STATES = ["draft", "mapping_confirmed", "authorised", "running", "failed"];

/** States of a run that waits for its mapping confirmation or GDPR authorisation. */
const WAITING_STATES = ["draft", "mapping_confirmed"];

/** Finished states: a new `migrate` starts a new run rather than continue one of these. */
const CLOSED_STATES = ["done", "sampled", "rolled_back"];

function toRecord(raw: Record<string, unknown>): RunRecord {
  return {
    id: Number(raw.id),
    name: String(raw.name ?? `run ${raw.id}`),
    state: String(raw.state),
    // Odoo sends false for an empty field.
    snapshotHash: typeof raw.snapshot_hash === "string" ? raw.snapshot_hash : "",
    mappingHash: typeof raw.mapping_hash === "string" ? raw.mapping_hash : "",
    isSample: Boolean(raw.is_sample),
    sampleSize: Number(raw.sample_size || 0),
    authorisedAt: (raw.gdpr_confirmed_at as string | false) ?? false,
    agreementRef: (raw.gdpr_agreement_ref as string | false) ?? false,
  };
}

export async function readRun(client: OdooClient, runId: number): Promise<RunRecord> {
  const rows = await client.executeKw<Record<string, unknown>[]>(RUN_MODEL, "read", [[runId]], {
    fields: RUN_FIELDS,
  });
  const raw = rows[0];
  if (!raw) {
    throw new ConfigError(`run ${runId} not found on db "${client.db}"; check ${client.names.run}`);
  }

  return toRecord(raw);
}

/**
 * Return the run to continue: the one named by `--run` (which must match this plan, or be empty
 * and then receives it), else an open run for the same snapshot, mapping and sample size, else a
 * new one.
 */
export async function findOrCreateRun(
  client: OdooClient,
  identity: RunIdentity,
  runId: number | undefined,
): Promise<{ run: RunRecord; created: boolean }> {
  const isSample = identity.sampleSize !== undefined;
  if (runId !== undefined) {
    let run = await readRun(client, runId);
    if (isEmptyRun(run) && identity.mappingJson && toOdooDatetime(identity.confirmedAt)) {
      run = await attachPlan(client, run, identity);
    }
    checkRunMatches(run, identity, client.names);
    return { run, created: false };
  }

  const open = await client.executeKw<Record<string, unknown>[]>(
    RUN_MODEL,
    "search_read",
    [
      [
        ["snapshot_hash", "=", identity.snapshotHash],
        ["mapping_hash", "=", identity.mappingHash],
        ["is_sample", "=", isSample],
        ["sample_size", "=", identity.sampleSize ?? 0],
        ["state", "in", OPEN_STATES],
      ],
    ],
    { fields: RUN_FIELDS, order: "id desc", limit: 1 },
  );
  if (open[0]) {
    return { run: toRecord(open[0]), created: false };
  }

  const waiting = await reuseWaitingRun(client, identity);
  if (waiting) return { run: waiting, created: false };

  const id = await client.executeKw<number>(RUN_MODEL, "create", [
    {
      name: generatedName(identity),
      snapshot_hash: identity.snapshotHash,
      mapping_json: identity.mappingJson,
      mapping_hash: identity.mappingHash,
      mapping_confirmed_by: identity.confirmedBy,
      mapping_confirmed_at: toOdooDatetime(identity.confirmedAt),
      is_sample: isSample,
      sample_size: identity.sampleSize ?? 0,
    },
  ]);
  return { run: await readRun(client, id), created: true };
}

/**
 * Tell whether a run was made with New in Odoo (or `create` over XML-RPC) and has a name only:
 * a draft without snapshot, mapping or authorisation, so nothing was imported into it.
 */
export function isEmptyRun(run: RunRecord): boolean {
  return run.state === "draft" && !run.snapshotHash && !run.mappingHash && !run.authorisedAt;
}

/**
 * Give an empty run this plan's snapshot and confirmed mapping, as the snapshot upload and the
 * Confirm Mapping button on the run form would. The run then waits for its GDPR authorisation
 * like a run that migrate created.
 */
async function attachPlan(
  client: OdooClient,
  run: RunRecord,
  identity: RunIdentity,
): Promise<RunRecord> {
  await client.executeKw(RUN_MODEL, "write", [
    [run.id],
    {
      snapshot_hash: identity.snapshotHash,
      mapping_json: identity.mappingJson,
      mapping_hash: identity.mappingHash,
      mapping_confirmed_by: identity.confirmedBy,
      mapping_confirmed_at: toOdooDatetime(identity.confirmedAt),
      is_sample: identity.sampleSize !== undefined,
      sample_size: identity.sampleSize ?? 0,
      state: "mapping_confirmed",
    },
  ]);
  await client.executeKw(RUN_MODEL, "message_post", [[run.id]], {
    body:
      `The bridge attached snapshot ${identity.snapshotHash.slice(0, 12)} and the mapping ` +
      `confirmed by ${identity.confirmedBy} to this run; it waits for the GDPR authorisation.`,
  });
  return { ...(await readRun(client, run.id)), attached: true };
}

/** `Netmera 2ed43866 sample of 5 2026-12-05 04:10 UTC`: the name of a run migrate creates. */
function generatedName(identity: RunIdentity): string {
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const kind = identity.sampleSize === undefined ? "full run" : `sample of ${identity.sampleSize}`;
  return `Netmera ${identity.snapshotHash.slice(0, 8)} ${kind} ${when} UTC`;
}

const GENERATED_NAME =
  /^Netmera [0-9a-f]{8} (full run|sample of \d+) \d{4}-\d\d-\d\d \d\d:\d\d UTC$/;

/**
 * Return a run of the same snapshot and mapping that waits for its GDPR authorisation and never
 * started, after giving it the requested sample size. Such a run has written nothing. Without
 * this, each migrate that stopped for the authorisation with other options would leave one
 * more empty run. A name that migrate generated is renamed for the new size.
 */
async function reuseWaitingRun(
  client: OdooClient,
  identity: RunIdentity,
): Promise<RunRecord | undefined> {
  const [waiting] = await client.executeKw<Record<string, unknown>[]>(
    RUN_MODEL,
    "search_read",
    [
      [
        ["snapshot_hash", "=", identity.snapshotHash],
        ["mapping_hash", "=", identity.mappingHash],
        ["state", "in", WAITING_STATES],
        ["gdpr_confirmed_at", "=", false],
        ["started_at", "=", false],
      ],
    ],
    { fields: RUN_FIELDS, order: "id desc", limit: 1 },
  );
  if (!waiting) return undefined;

  const run = toRecord(waiting);
  const values: Record<string, unknown> = {
    is_sample: identity.sampleSize !== undefined,
    sample_size: identity.sampleSize ?? 0,
  };
  if (GENERATED_NAME.test(run.name)) values.name = generatedName(identity);
  await client.executeKw(RUN_MODEL, "write", [[run.id], values]);
  return { ...(await readRun(client, run.id)), reusedFrom: describeKind(run) };
}

/** `a sample of 5 contacts` or `a full run`, as messages describe a run. */
export function describeKind(run: { isSample: boolean; sampleSize: number }): string {
  return run.isSample ? `a sample of ${run.sampleSize} contact(s)` : "a full run";
}

function checkRunMatches(run: RunRecord, identity: RunIdentity, names: SettingNames): void {
  if (CLOSED_STATES.includes(run.state)) {
    throw new ConfigError(
      `run ${run.id} ("${run.name}") is ${run.state.replace("_", " ")}; ${names.newRun} ` +
        "(unchanged records are skipped, so nothing is written twice)",
    );
  }

  if (!run.snapshotHash && !run.mappingHash) {
    throw new ConfigError(
      `run ${run.id} ("${run.name}") has no snapshot or mapping: it was created in Odoo, not by ` +
        "migrate or the snapshot upload on the run form. Upload the snapshot and its confirmed " +
        "mapping on that form, or pass the confirmed mapping with --mapping FILE so that " +
        "migrate attaches it and this plan's snapshot to the run",
    );
  }

  if (run.snapshotHash !== identity.snapshotHash || run.mappingHash !== identity.mappingHash) {
    throw new ConfigError(
      `run ${run.id} ("${run.name}") was started for another snapshot or mapping ` +
        `(snapshot ${run.snapshotHash.slice(0, 12) || "none"}, mapping ` +
        `${run.mappingHash.slice(0, 12) || "none"}); ${names.newRun} for this plan`,
    );
  }

  const sampleSize = identity.sampleSize ?? 0;
  if (run.isSample !== (identity.sampleSize !== undefined) || run.sampleSize !== sampleSize) {
    const was = run.isSample ? `a sample of ${run.sampleSize}` : "a full run";
    const same =
      names.run === "--run"
        ? "pass the same --sample to continue it, or leave out --run"
        : `continue it with the same kind of job (${run.isSample ? `a sample job with sampleSize ${run.sampleSize}` : "a migrate job"}), or ${names.newRun}`;
    throw new ConfigError(`run ${run.id} is ${was}; ${same}`);
  }
}

/**
 * Refuse to write while the data controller has not authorised the transfer on this run. The
 * message names both ways to record it.
 */
export function assertAuthorised(
  run: RunRecord,
  connection: { url: string; db: string; names: SettingNames },
): void {
  if (run.authorisedAt) return;

  const reused = run.reusedFrom
    ? ` It was ${run.reusedFrom} that an earlier migrate of this plan created and that was ` +
      `never authorised; it is now ${describeKind(run)}, and no other run was created.`
    : "";
  const attached = run.attached
    ? ` The run was created in Odoo without a snapshot or mapping; it now has this plan's ` +
      "snapshot and confirmed mapping."
    : "";
  throw new ConfigError(
    `run ${run.id} ("${run.name}") has no GDPR authorisation yet: the data controller must ` +
      "authorise this transfer of personal data before any record is written. Run " +
      `${run.id} (${describeKind(run)}) waits for that authorisation, and nothing was ` +
      `written.${reused}${attached} In Odoo open ` +
      `Netmera Migration › Runs › "${run.name}" and click "Confirm GDPR Authorisation", or run ` +
      `netmera-odoo authorise --run ${run.id} --by NAME --agreement REF --odoo-url ` +
      `${connection.url} --db ${connection.db} --user LOGIN; then ` +
      `${connection.names.continueRun} (it continues run ${run.id}).`,
  );
}

/** Odoo datetimes over XML-RPC are naive UTC text: `YYYY-MM-DD HH:MM:SS`. */
export function toOdooDatetime(iso: string): string | false {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return false;

  return date.toISOString().slice(0, 19).replace("T", " ");
}
