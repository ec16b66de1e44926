import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_RATIO } from "../bridge/src/server/unzip.js";
import { DEFAULT_UPLOAD_LIMITS } from "../bridge/src/server/app.js";
import { PULL_DEFAULTS } from "../bridge/src/server/real-jobs.js";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  readServeConfig,
  resolveServeSettings,
  serveConfigSchema,
} from "../bridge/src/server/config.js";
import { DEFAULT_CONCURRENCY } from "../bridge/src/migrate/migrate.js";
import { DEFAULT_BASE_URL } from "../bridge/src/netmera/http-client.js";
import { DEFAULT_APP, MAX_IDS_PER_REQUEST } from "../bridge/src/netmera/pull-options.js";
import { DEFAULT_SOURCE_TIME_ZONE } from "../bridge/src/normalize/dates.js";
import { DEFAULT_BATCH_LIMITS } from "../bridge/src/odoo/batching.js";
import { REPO_ROOT } from "./support/odoo.js";

const EXAMPLE = join(REPO_ROOT, "examples/bridge.yaml");

const ENV = {
  NETMERA_ODOO_BRIDGE_TOKEN: "polish-example-0123456789abcdefghijk",
  ODOO_PASSWORD: "odoo-secret-from-env",
  NETMERA_API_KEY: "netmera-key-from-env",
};

describe("examples/bridge.yaml", () => {
  it("sets every key the config reader knows", () => {
    const config = readServeConfig(EXAMPLE);
    const topKeys = Object.keys(serveConfigSchema.shape).filter((key) => key !== "password");
    expect(Object.keys(config).sort()).toEqual(topKeys.sort());
    const netmeraKeys = Object.keys(serveConfigSchema.shape.netmera.unwrap().shape);
    expect(Object.keys(config.netmera ?? {}).sort()).toEqual(
      netmeraKeys.filter((key) => key !== "apiKey").sort(),
    );
    const uploadKeys = Object.keys(serveConfigSchema.shape.uploads.unwrap().shape);
    expect(Object.keys(config.uploads ?? {}).sort()).toEqual(uploadKeys.sort());
    const resyncKeys = Object.keys(serveConfigSchema.shape.resync.unwrap().shape);
    expect(Object.keys(config.resync ?? {}).sort()).toEqual(resyncKeys.sort());
  });

  it("states the defaults the code uses", () => {
    const config = readServeConfig(EXAMPLE);
    expect(config.host).toBe(DEFAULT_HOST);
    expect(config.port).toBe(DEFAULT_PORT);
    expect(config.concurrency).toBe(DEFAULT_CONCURRENCY);
    expect(config.batchRows).toBe(DEFAULT_BATCH_LIMITS.maxRows);
    expect(config.batchBytes).toBe(DEFAULT_BATCH_LIMITS.maxBytes);
    expect(config.uploads).toEqual(DEFAULT_UPLOAD_LIMITS);
    expect(config.uploads?.maxRatio).toBe(DEFAULT_MAX_RATIO);
    expect(config.netmera).toMatchObject({
      baseUrl: DEFAULT_BASE_URL,
      app: DEFAULT_APP,
      sourceTimeZone: DEFAULT_SOURCE_TIME_ZONE,
      pageSize: MAX_IDS_PER_REQUEST,
      inbox: false,
      ...PULL_DEFAULTS,
    });
    expect(config.resync?.keep).toBe(3);
  });

  it("takes the secrets from the environment, not from the file", () => {
    const text = readFileSync(EXAMPLE, "utf8");
    expect(text).not.toMatch(/^\s*(password|apiKey):/m);

    const settings = resolveServeSettings({ config: EXAMPLE }, ENV);

    expect(settings.token).toBe(ENV.NETMERA_ODOO_BRIDGE_TOKEN);
    expect(settings.odoo).toEqual({
      url: "http://127.0.0.1:8069",
      db: "netmera",
      login: "admin",
      password: ENV.ODOO_PASSWORD,
    });
    expect(settings.netmera?.apiKey).toBe(ENV.NETMERA_API_KEY);
    expect(settings.resync?.cron).toBe("30 2 * * *");
    expect(settings.resync?.mapping).toBe(join(REPO_ROOT, "examples/mapping.json"));
    expect(settings.chromiumPath).toBe("/usr/bin/chromium");
  });
});
