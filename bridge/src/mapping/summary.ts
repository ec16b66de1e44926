import type { Mapping, MappingEntry } from "./types.js";

function targetText(entry: MappingEntry): string {
  const { target } = entry;
  if (target.action === "skip") {
    return "skip";
  }
  if (target.action === "note" || target.action === "activity") {
    return `${target.action} on contact`;
  }
  if (target.action === "tag") {
    return "tags (res.partner.category)";
  }

  const type = target.type ? ` ${target.type}` : "";
  const field = target.field ? `.${target.field}` : "";
  return `${target.model}${field}${type} (${target.action})`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width - 1) + "…" : text.padEnd(width);
}

/** Decide whether an entry is printed: files and columns that follow an attribute are not. */
function shown(entry: MappingEntry): boolean {
  if (entry.source.kind === "file") {
    return false;
  }
  return !(entry.source.kind === "column" && entry.source.meaning?.startsWith("attr:"));
}

/**
 * Format a short plain-text table of the mapping: attributes, events and the columns that do
 * not simply follow an attribute. Entries to review are marked with `!` and counted at the end.
 */
export function formatMappingTable(mapping: Mapping): string {
  const lines = [`  ${pad("kind", 10)}${pad("source", 28)}${pad("target", 58)}conf`];
  for (const entry of mapping.entries.filter(shown)) {
    const mark = entry.review ? "! " : "  ";
    lines.push(
      `${mark}${pad(entry.source.kind, 10)}${pad(entry.source.name, 28)}` +
        `${pad(targetText(entry), 58)}${entry.confidence.toFixed(2)}`,
    );
  }

  const review = mapping.entries.filter((entry) => entry.review).length;
  const files = mapping.entries.filter((entry) => entry.source.kind === "file").length;
  lines.push("");
  lines.push(
    `${mapping.entries.length} entries (${files} files not listed); ${review} need review (marked !)`,
  );
  return lines.join("\n") + "\n";
}
