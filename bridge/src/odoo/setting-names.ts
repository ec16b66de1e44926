/**
 * Names that messages use for the Odoo settings and the run. The command line reads them from
 * flags and `ODOO_PASSWORD`. `serve` reads them from its environment or config file and the run
 * id from the request path, so its job messages name those instead of flags.
 */
export interface SettingNames {
  /** Reader of the messages: a shell, or an HTTP client such as the run form in Odoo or a script. */
  surface: "cli" | "serve";
  url: string;
  db: string;
  login: string;
  password: string;
  /** Source of the run id. */
  run: string;
  /** Advice to import into a new run instead of the given one. */
  newRun: string;
  /** Advice to continue the run after it was authorised. */
  continueRun: string;
  /** Advice to resume a run whose last migrate is gone, while its heartbeat is recent. */
  resumeNow: string;
  /** Advice on a run that migrate left running; empty where the next attempt resumes anyway. */
  takeoverNote: string;
  /** Advice to import everything after a sample. */
  keepSample: string;
}

export const CLI_SETTING_NAMES: SettingNames = {
  url: "--odoo-url",
  db: "--db",
  login: "--user",
  password: "ODOO_PASSWORD",
  run: "--run",
  newRun: "leave out --run to start a new run",
  continueRun: "run migrate again",
  resumeNow: "run the same command again with --takeover to resume now, or run it again",
  takeoverNote: " (add --takeover if it finds the run's heartbeat within the lease)",
  keepSample: "run migrate without --sample",
  surface: "cli",
};

export const SERVE_SETTING_NAMES: SettingNames = {
  url: "ODOO_URL (odooUrl in the bridge's config file)",
  db: "ODOO_DB (db in the bridge's config file)",
  login: "ODOO_USER (user in the bridge's config file)",
  password: "ODOO_PASSWORD (password in the bridge's config file)",
  run: "the run id in the request path (/runs/ID/…)",
  newRun:
    "start the job on a new run (in Odoo, Upload Snapshot without a run creates one, or click " +
    "New under Netmera Migration › Runs)",
  continueRun: "start the job again",
  resumeNow: "start the job again",
  // The job records its stop in the run's folder, so the next job on the run resumes at once.
  takeoverNote: "",
  keepSample: "start the full migration (Start Migration on the run, or POST /runs/ID/migrate)",
  surface: "serve",
};
