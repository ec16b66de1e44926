/**
 * Names that messages use for the Odoo settings and the run. The command line reads them from
 * flags and `ODOO_PASSWORD`. `serve` reads them from its environment or config file and the run
 * id from the request path, so its job messages name those instead of flags.
 */
export interface SettingNames {
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
}

export const CLI_SETTING_NAMES: SettingNames = {
  url: "--odoo-url",
  db: "--db",
  login: "--user",
  password: "ODOO_PASSWORD",
  run: "--run",
  newRun: "leave out --run to start a new run",
  continueRun: "run migrate again",
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
};
