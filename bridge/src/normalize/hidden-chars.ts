/**
 * Characters that a text value may carry without anyone seeing them.
 *
 * XML 1.0 cannot hold most C0 control characters, U+FFFE, U+FFFF or a lone surrogate, not even
 * as character references. Odoo's XML-RPC endpoint parses every call as XML, so one such
 * character in a contact's name makes the whole batch fail. Plan removes these and flags the
 * contact.
 *
 * Invisible formatting characters (soft hyphen, zero-width and direction marks, word joiners,
 * a byte-order mark inside the text) travel fine but make two equal-looking names differ.
 * Some scripts need them (Persian writes the zero-width non-joiner inside words), so plan keeps
 * them and flags the contact for a person to look at.
 */

// Matching control characters is the point of these patterns.
/* eslint-disable no-control-regex */
const XML_FORBIDDEN =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
/** One cheap test for both kinds. Most values have neither, so nothing else runs for them. */
const ANY_HIDDEN =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ud800-\udfff\ufeff\ufffe\uffff]/;
/* eslint-enable no-control-regex */

/** List the distinct code points of the matches as `U+0001, U+200B`, in order of first appearance. */
function codePoints(matches: string[]): string {
  const seen = new Set<string>();
  for (const match of matches) {
    seen.add(`U+${(match.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`);
  }
  return [...seen].join(", ");
}

export interface HiddenCharacters {
  /** The text without the characters XML cannot carry; the same string when it had none. */
  text: string;
  /** Code points removed because XML cannot carry them, or undefined. */
  removed?: string;
  /** Invisible formatting characters kept in `text`, or undefined. */
  invisible?: string;
}

/** Find hidden characters in a text and remove those that XML cannot carry. */
export function checkHiddenCharacters(text: string): HiddenCharacters {
  if (!ANY_HIDDEN.test(text)) {
    return { text };
  }
  const result: HiddenCharacters = { text };
  const forbidden = text.match(XML_FORBIDDEN);
  if (forbidden) {
    result.removed = codePoints(forbidden);
    result.text = text.replace(XML_FORBIDDEN, "");
  }
  const invisible = result.text.match(INVISIBLE);
  if (invisible) {
    result.invisible = codePoints(invisible);
  }
  return result;
}

/**
 * Show the characters XML cannot carry as `[U+0001]`, for text written into a message body,
 * where a visible mark serves the reader better than a silent gap.
 */
export function markXmlForbidden(text: string): string {
  if (!ANY_HIDDEN.test(text)) {
    return text;
  }
  return text.replace(XML_FORBIDDEN, (match) => `[${codePoints([match])}]`);
}
