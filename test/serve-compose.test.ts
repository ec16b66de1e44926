import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "./support/odoo.js";

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
}

const composeText = readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8");
const compose = parse(composeText) as { services: Record<string, Service> };
const services = compose.services;
const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const envExample = readFileSync(join(REPO_ROOT, ".env.example"), "utf8");

/** Variables a compose value reads, as in `${NAME:?message}` or `${NAME:-default}`. */
function variables(value: string): string[] {
  return [...value.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((match) => match[1]!);
}

describe("docker-compose.yml", () => {
  it("runs PostgreSQL, Odoo 18 and the bridge, each with a health check", () => {
    expect(Object.keys(services).sort()).toEqual(["bridge", "db", "odoo"]);
    expect(services.odoo!.image).toBe("odoo:18");
    expect(services.db!.image).toMatch(/^postgres:\d+$/);
    expect(services.bridge!.build).toBe(".");
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test, name).toBeDefined();
    }
    expect(services.odoo!.depends_on).toEqual({ db: { condition: "service_healthy" } });
    expect(services.bridge!.depends_on).toEqual({ odoo: { condition: "service_healthy" } });
  });

  it("mounts the addon where the odoo image looks for extra addons", () => {
    expect(services.odoo!.volumes).toContain("./odoo_addon:/mnt/extra-addons:ro");
    expect(existsSync(join(REPO_ROOT, "odoo_addon/netmera_migration/__manifest__.py"))).toBe(true);
    expect(services.odoo!.command).toContain("--init=netmera_migration");
  });

  it("shares one token variable between Odoo and the bridge", () => {
    const odooEnv = services.odoo!.environment!;
    const bridgeEnv = services.bridge!.environment!;
    expect(variables(odooEnv.NETMERA_ODOO_BRIDGE_TOKEN!)).toEqual(["NETMERA_ODOO_BRIDGE_TOKEN"]);
    expect(variables(bridgeEnv.NETMERA_ODOO_BRIDGE_TOKEN!)).toEqual(["NETMERA_ODOO_BRIDGE_TOKEN"]);
    // `:?` makes compose refuse to start without the token instead of using an empty one.
    expect(bridgeEnv.NETMERA_ODOO_BRIDGE_TOKEN).toMatch(/^\$\{NETMERA_ODOO_BRIDGE_TOKEN:\?/);
    expect(odooEnv.NETMERA_ODOO_BRIDGE_URL).toBe(
      `http://bridge:${bridgeEnv.NETMERA_ODOO_BRIDGE_PORT}`,
    );
  });

  it("points the bridge at the Odoo service and its database", () => {
    const bridgeEnv = services.bridge!.environment!;
    expect(bridgeEnv.ODOO_URL).toBe("http://odoo:8069");
    expect(bridgeEnv.ODOO_DB).toBe("${ODOO_DB:-netmera}");
    expect(services.odoo!.command).toContain("--database=${ODOO_DB:-netmera}");
    expect(services.odoo!.environment!.PASSWORD).toBe(services.db!.environment!.POSTGRES_PASSWORD);
    const probe = JSON.stringify(services.bridge!.healthcheck!.test);
    expect(probe).toContain(`127.0.0.1:${bridgeEnv.NETMERA_ODOO_BRIDGE_PORT}/health`);
  });

  it("takes every secret from the environment and documents each variable", () => {
    const used = new Set(variables(composeText));
    const documented = new Set(
      [...envExample.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((match) => match[1]!),
    );
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
    for (const service of Object.values(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|TOKEN|KEY/.test(key)) expect(value, key).toMatch(/^\$\{[A-Z_]+/);
      }
    }
    expect(envExample).toMatch(/^NETMERA_ODOO_BRIDGE_TOKEN=$/m);
  });
});

describe("Dockerfile", () => {
  it("builds in two stages and keeps only runtime dependencies", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM node:20[^\n]* AS build$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/bridge\/dist/);
  });

  it("runs as a non-root user with Chromium and a health check", () => {
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bchromium\b/);
    expect(dockerfile).toMatch(/CHROMIUM_PATH=\/usr\/bin\/chromium/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    expect(dockerfile).toMatch(/^CMD \["serve"\]$/m);
  });
});
