/**
 * Parsing of Netmera error responses. The REST API uses three shapes, documented on the error
 * page (https://user.netmera.com/netmera-developer-guide/api-documentation/rest-api/error-responses.md)
 * and in the community OpenAPI description of v3.0:
 * - application errors: JSON `{"code": 2004, "error": "Field 'notificationKey' should be a text"}`;
 * - framework errors such as an unknown path: RFC 9457 problem JSON (`type`, `title`, `status`,
 *   `detail`, `instance`);
 * - a few endpoints return 400 with plain text, for example `Please provide an external id.`
 */
export interface ErrorBody {
  /** Netmera's own error code, when the body carries one. */
  netmeraCode: number | undefined;
  /** Human-readable text taken from the body, shortened to a log-friendly length. */
  text: string;
}

const MAX_TEXT = 300;

export function parseErrorBody(contentType: string | null, raw: string): ErrorBody {
  const trimmed = raw.trim();
  if (trimmed === "") {
    return { netmeraCode: undefined, text: "(empty body)" };
  }

  const json = tryParseJson(trimmed, contentType);
  if (json && typeof json === "object" && !Array.isArray(json)) {
    const record = json as Record<string, unknown>;
    const netmeraCode = toCode(record.code);
    if (netmeraCode !== undefined || typeof record.error === "string") {
      return { netmeraCode, text: shorten(stringOf(record.error) ?? trimmed) };
    }

    const title = stringOf(record.title);
    const detail = stringOf(record.detail);
    if (title !== undefined || detail !== undefined) {
      const text = [title, detail].filter((part) => part !== undefined).join(": ");
      return { netmeraCode: undefined, text: shorten(text) };
    }
  }

  return { netmeraCode: undefined, text: shorten(trimmed.replace(/\s+/g, " ")) };
}

function tryParseJson(text: string, contentType: string | null): unknown {
  const looksJson = text.startsWith("{") || (contentType ?? "").includes("json");
  if (!looksJson) {
    return undefined;
  }

  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toCode(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) {
    return value;
  }

  if (typeof value === "string" && /^\d+$/.test(value)) {
    return Number(value);
  }

  return undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function shorten(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}
