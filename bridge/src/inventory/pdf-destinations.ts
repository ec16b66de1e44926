/**
 * Page numbers of the named destinations (HTML anchors) in a PDF printed by Chromium, used to
 * put page numbers into the table of contents on a second pass.
 *
 * Chromium (Skia) writes PDF 1.4 without object streams: the catalog, the page tree and the
 * `/Dests` dictionary are plain objects, so a small reader is enough. Any other layout (a name
 * tree, compressed objects) returns null and the contents simply show no page numbers.
 */
export function readNamedDestinationPages(pdf: Buffer): Map<string, number> | null {
  const objects = readDictionaryObjects(pdf.toString("latin1"));
  const catalog = [...objects.values()].find((body) => /\/Type\s*\/Catalog\b/.test(body));
  const pagesRef = catalog && /\/Pages\s+(\d+)\s+0\s+R/.exec(catalog)?.[1];
  const destsRef = catalog && /\/Dests\s+(\d+)\s+0\s+R/.exec(catalog)?.[1];
  if (!pagesRef || !destsRef) {
    return null;
  }

  const pageNumbers = new Map<string, number>();
  collectPages(objects, Number(pagesRef), pageNumbers, new Set());
  const dests = objects.get(Number(destsRef));
  if (!dests || pageNumbers.size === 0) {
    return null;
  }

  const result = new Map<string, number>();
  for (const match of dests.matchAll(/\/([A-Za-z0-9_.-]+)\s*\[\s*(\d+)\s+0\s+R/g)) {
    const page = pageNumbers.get(match[2] ?? "");
    if (match[1] && page !== undefined) {
      result.set(match[1], page);
    }
  }
  return result;
}

/** Objects whose body is a dictionary without a stream, by object number. */
function readDictionaryObjects(text: string): Map<number, string> {
  const objects = new Map<number, string>();
  const pattern = /(\d+)\s+0\s+obj\s*(<<(?:(?!stream\b)[\s\S])*?>>)\s*endobj/g;
  for (const match of text.matchAll(pattern)) {
    objects.set(Number(match[1]), match[2] ?? "");
  }
  return objects;
}

/** Number the leaves of the page tree in order (1-based), keyed by object number. */
function collectPages(
  objects: Map<number, string>,
  ref: number,
  pages: Map<string, number>,
  seen: Set<number>,
): void {
  const body = objects.get(ref);
  if (body === undefined || seen.has(ref)) {
    return;
  }

  seen.add(ref);
  if (/\/Type\s*\/Page\b/.test(body)) {
    pages.set(String(ref), pages.size + 1);
    return;
  }

  const kids = /\/Kids\s*\[([^\]]*)\]/.exec(body)?.[1] ?? "";
  for (const kid of kids.matchAll(/(\d+)\s+0\s+R/g)) {
    collectPages(objects, Number(kid[1]), pages, seen);
  }
}
