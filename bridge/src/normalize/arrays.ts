import { accept, reject, type Normalized } from "./result.js";

/**
 * Split an array attribute: JSON text (`["a","b"]`) or a delimited list (`a;b`, `a|b`, `a,b`,
 * first delimiter found in that order). Items are trimmed; empty items are left out.
 */
export function normalizeArray(raw: string): Normalized<string[]> {
  const text = raw.trim();
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return reject("starts with [ but is not a JSON array");
    }
    if (!Array.isArray(parsed)) {
      return reject("is not a JSON array");
    }
    const items: string[] = [];
    for (const item of parsed) {
      if (item === null) {
        continue;
      }
      if (typeof item === "object") {
        return reject("is a JSON array with nested objects or arrays, expected strings or numbers");
      }
      const itemText = String(item).trim();
      if (itemText !== "") {
        items.push(itemText);
      }
    }
    return accept(items);
  }
  const delimiter = [";", "|", ","].find((candidate) => text.includes(candidate));
  const parts = delimiter ? text.split(delimiter) : [text];
  return accept(parts.map((part) => part.trim()).filter((part) => part !== ""));
}
