import { BridgeError, ConfigError, OdooFaultError, OdooUnavailableError } from "../core/errors.js";
import { isAccessDenied, type OdooClient, type OdooVersion } from "./client.js";
import { OdooConnectionError, XmlRpcEndpointNotFound } from "./transport.js";

/** Model of the addon's run records; every import call goes through it. */
export const RUN_MODEL = "netmera.migration.run";
export const ADDON_NAME = "netmera_migration";
export const SUPPORTED_MAJOR_VERSIONS = [17, 18];

export interface PreflightResult {
  version: OdooVersion;
  uid: number;
}

/**
 * Check, in this order, that Odoo answers, runs a supported version, accepts the login over the
 * external API, has the addon installed, and lets the user manage migration runs. Each failure
 * is a `ConfigError` whose message says what is wrong and how to fix it.
 */
export async function checkOdoo(client: OdooClient): Promise<PreflightResult> {
  const version = await checkVersion(client);

  const uid = await checkLogin(client);

  await checkAddon(client);

  await checkManager(client);

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
        `Odoo ${SUPPORTED_MAJOR_VERSIONS.join(" and ")}. Point --odoo-url at an Odoo 17 or 18 server.`,
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
        `Odoo at ${client.url} has no database "${client.db}"; check --db ` +
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
          "Check the host and port in --odoo-url and that the Odoo server is running and " +
          "reachable from this machine.",
        { cause: error },
      );
    }

    if (error.kind === "dns") {
      return new ConfigError(
        `cannot reach Odoo at ${client.url}: the host name "${new URL(client.url).hostname}" ` +
          `does not resolve (${cause}). Check the host name in --odoo-url and this machine's DNS.`,
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
      `cannot reach Odoo at ${client.url} (${cause}). Check --odoo-url and that the server ` +
        "is running and reachable from this machine.",
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
        `answer (${error.message}). Set --odoo-url to the Odoo base URL, the address of its ` +
        "login page without /web/login.",
      { cause: error },
    );
  }

  return error;
}
