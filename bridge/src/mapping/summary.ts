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

/**
 * Decide whether an entry is printed. Files are printed only when marked for review, such as a
 * file that no reader takes; columns that follow an attribute are not printed.
 */
function shown(entry: MappingEntry): boolean {
  if (entry.source.kind === "file") {
    return entry.review;
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
  const hiddenFiles = mapping.entries.filter(
    (entry) => entry.source.kind === "file" && !shown(entry),
  ).length;
  lines.push("");
  lines.push(
    `${mapping.entries.length} entries (${hiddenFiles} files read as expected not listed); ` +
      `${review} need review (marked !)`,
  );
  const reviewFiles = mapping.entries.filter(
    (entry) => entry.source.kind === "file" && entry.review,
  );
  for (const entry of reviewFiles) {
    lines.push(`! ${entry.source.name}: ${entry.reason}`);
  }
  return lines.join("\n") + "\n";
}
