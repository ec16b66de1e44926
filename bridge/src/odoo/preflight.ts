import { BridgeError, ConfigError, OdooFaultError, OdooUnavailableError } from "../core/errors.js";
import { isAccessDenied, type OdooClient, type OdooVersion } from "./client.js";
import { OdooConnectionError, XmlRpcEndpointNotFound } from "./transport.js";

/** Model of the addon's run records; every import call goes through it. */
export const RUN_MODEL = "netmera.migration.run";
export const ADDON_NAME = "netmera_migration";
export const SUPPORTED_MAJOR_VERSIONS = [17, 18];

/**
 * Addon version (the last three parts of the manifest's version) that has every addon method
 * this bridge calls. Raise it together with the manifest's version whenever the bridge starts
 * to call a new addon method. Version 1.1.0 added `addon_version`, which this check calls.
 */
export const REQUIRED_ADDON_VERSION = "1.1.0";

export interface PreflightResult {
  version: OdooVersion;
  uid: number;
}

/**
 * Check, in this order, that Odoo answers, runs a supported version, accepts the login over the
 * external API, has the addon installed, lets the user manage migration runs, and runs an addon
 * version that has every method this bridge calls. Each failure
 * is a `ConfigError` whose message says what is wrong and how to fix it.
 */
export async function checkOdoo(client: OdooClient): Promise<PreflightResult> {
  const version = await checkVersion(client);

  const uid = await checkLogin(client);

  await checkAddon(client);

  await checkManager(client);

  await checkAddonVersion(client);

  return { version, uid };
}

async function checkVersion(client: OdooClient): Promise<OdooVersion> {
  let version: OdooVersion;
  try {
    version = await client.version();
  } catch (error) {
    throw explainConnectionError(client, error, "/xmlrpc/2/common");
  }

  if (!SUPPORTED_MAJOR_VERSIONS.includes(version.major)) {
    throw new ConfigError(
      `Odoo at ${client.url} runs version ${version.serverVersion}; netmera-odoo supports ` +
        `Odoo ${SUPPORTED_MAJOR_VERSIONS.join(" and ")}. Point ${client.names.url} at an Odoo 17 or ` +
        "18 server.",
    );
  }

  return version;
}

async function checkLogin(client: OdooClient): Promise<number> {
  try {
    return await client.authenticate();
  } catch (error) {
    // Wrong login or password: authenticate returned false, and the error names both.
    if (error instanceof ConfigError) throw error;

    if (error instanceof OdooFaultError && /database .* does not exist/i.test(error.message)) {
      throw new ConfigError(
        `Odoo at ${client.url} has no database "${client.db}"; check ${client.names.db} ` +
          `(the database selector at ${client.url}/web/database/selector lists them).`,
        { cause: error },
      );
    }

    if (isAccessDenied(error)) {
      throw externalApiDenied(client, error);
    }

    throw explainConnectionError(client, error, "/xmlrpc/2/common");
  }
}

async function checkAddon(client: OdooClient): Promise<void> {
  let state: string | undefined;
  try {
    const modules = await client.executeKw<{ state: string }[]>(
      "ir.module.module",
      "search_read",
      [[["name", "=", ADDON_NAME]]],
      { fields: ["state"], limit: 1 },
    );
    state = modules[0]?.state;
  } catch (error) {
    if (error instanceof XmlRpcEndpointNotFound || isAccessDenied(error)) {
      throw error instanceof XmlRpcEndpointNotFound
        ? explainConnectionError(client, error, "/xmlrpc/2/object")
        : externalApiDenied(client, error);
    }

    // Users outside Settings may not read the module list; the run model's presence tells too.
    const count = await client.executeKw<number>("ir.model", "search_count", [
      [["model", "=", RUN_MODEL]],
    ]);
    state = count > 0 ? "installed" : undefined;
  }

  if (state === "installed") return;

  throw new ConfigError(
    `the ${ADDON_NAME} addon is ${state ? `in state "${state}"` : "not installed"} on db ` +
      `"${client.db}" at ${client.url}. Install it: in Odoo open Apps, remove the "Apps" ` +
      `filter, search "Netmera Migration" and click Activate; or start Odoo once with ` +
      `-d ${client.db} -i ${ADDON_NAME} and the addons path that contains odoo_addon/.`,
  );
}

async function checkManager(client: OdooClient): Promise<void> {
  const allowed = await client.executeKw<boolean>(RUN_MODEL, "check_access_rights", ["create"], {
    raise_exception: false,
  });
  if (allowed) return;

  throw new ConfigError(
    `the Odoo user "${client.login}" may not start migration runs on db "${client.db}": add ` +
      "the user to the Netmera Migration / Manager group (Settings › Users › the user › " +
      "Access Rights).",
  );
}

async function checkAddonVersion(client: OdooClient): Promise<void> {
  let installed: unknown;
  try {
    installed = await client.executeKw<unknown>(RUN_MODEL, "addon_version", []);
  } catch (error) {
    // Versions before 1.1.0 lack this method, and Odoo 17 and 18 then raise "does not exist".
    if (
      !(error instanceof OdooFaultError) ||
      !/addon_version\b.*does not exist/.test(error.message)
    ) {
      throw error;
    }
    installed = undefined;
  }

  const problem = addonVersionProblem(installed, REQUIRED_ADDON_VERSION);
  if (!problem) return;

  throw new ConfigError(
    `the ${ADDON_NAME} addon on db "${client.db}" at ${client.url} ${problem}, and this ` +
      `bridge needs version ${REQUIRED_ADDON_VERSION} or later: it calls addon methods that ` +
      "older versions lack. Upgrade the addon before migrating: put this release's " +
      `odoo_addon/ on Odoo's addons path and start Odoo once with -d ${client.db} ` +
      `-u ${ADDON_NAME}, or in Odoo open Apps, find "Netmera Migration" and click Upgrade. ` +
      "Nothing was written.",
  );
}

/**
 * Compare the addon version that Odoo reports (`18.0.1.1.0`; on Odoo 17, Odoo puts its own
 * series in front of the manifest's version) with `required` (`1.1.0`). Return why the addon is
 * too old, or undefined when it is recent enough. `installed` is undefined for an addon that
 * has no `addon_version` method.
 */
export function addonVersionProblem(installed: unknown, required: string): string | undefined {
  if (installed === undefined)
    return `is older than version 1.1.0 (it has no addon_version method)`;

  const text = typeof installed === "string" ? installed.trim() : "";
  const parts = text.split(".");
  const own = parts.slice(-3).map(Number);
  if (parts.length < 3 || own.some((part) => !Number.isInteger(part) || part < 0)) {
    return `reports version ${JSON.stringify(installed)}, which is not a version number`;
  }

  const expected = required.split(".").map(Number);
  for (let index = 0; index < 3; index += 1) {
    if (own[index]! > expected[index]!) return undefined;
    if (own[index]! < expected[index]!) return `is version ${text}`;
  }
  return undefined;
}

function externalApiDenied(client: OdooClient, error: unknown): ConfigError {
  return new ConfigError(
    `Odoo at ${client.url} denied external API access for "${client.login}" on db ` +
      `"${client.db}" (${(error as Error).message}). Enable XML-RPC access for this database ` +
      "or plan (Odoo Online needs a Custom plan), or use netmera-odoo export-csv instead.",
    { cause: error },
  );
}

/**
 * Turn a connection-level failure into a message that distinguishes the cases: nothing listens
 * at the URL, its host name does not resolve, the server accepts connections but never
 * answers, or something answers that is not Odoo's XML-RPC API. Each names the URL and the fix.
 */
export function explainConnectionError(client: OdooClient, error: unknown, path: string): unknown {
  if (error instanceof XmlRpcEndpointNotFound) {
    return new ConfigError(
      `Odoo at ${client.url} answered HTTP 404 on ${path}: the XML-RPC external API is ` +
        "disabled or a proxy blocks /xmlrpc/. Allow /xmlrpc/2/ through the proxy, or use " +
        "netmera-odoo export-csv to import without the API.",
      { cause: error },
    );
  }

  if (error instanceof OdooConnectionError) {
    const cause = (error.cause as Error | undefined)?.message ?? error.message;
    if (error.kind === "refused") {
      return new ConfigError(
        `cannot reach Odoo at ${client.url}: nothing accepts connections there (${cause}). ` +
          `Check the host and port in ${client.names.url} and that the Odoo server is running ` +
          "and reachable from this machine.",
        { cause: error },
      );
    }

    if (error.kind === "dns") {
      return new ConfigError(
        `cannot reach Odoo at ${client.url}: the host name "${new URL(client.url).hostname}" ` +
          `does not resolve (${cause}). Check the host name in ${client.names.url} and this ` +
          "machine's DNS.",
        { cause: error },
      );
    }

    if (error.kind === "timeout") {
      return new ConfigError(error.message, { cause: error });
    }
  }

  if (error instanceof OdooUnavailableError) {
    const cause = (error.cause as Error | undefined)?.message ?? error.message;
    return new ConfigError(
      `cannot reach Odoo at ${client.url} (${cause}). Check ${client.names.url} and that the ` +
        "server is running and reachable from this machine.",
      { cause: error },
    );
  }

  if (
    error instanceof BridgeError &&
    !(error instanceof OdooFaultError) &&
    !(error instanceof ConfigError)
  ) {
    return new ConfigError(
      `${client.url} answered, but it is not an Odoo server: ${path} gave no XML-RPC ` +
        `answer (${error.message}). Set ${client.names.url} to the Odoo base URL, the address of its ` +
        "login page without /web/login.",
      { cause: error },
    );
  }

  return error;
}
