import type { SnapshotObservations } from "./observations.js";
import type { MappingEntry, MappingTarget } from "./types.js";

interface FileRule {
  test: RegExp;
  target: MappingTarget;
  confidence: number;
  reason: string;
}

const none = (model: string, action: MappingTarget["action"]): MappingTarget => ({
  model,
  field: null,
  type: null,
  action,
});

const tag: MappingTarget = {
  model: "res.partner.category",
  field: "category_id",
  type: "many2many",
  action: "tag",
};

/** Target of each kind of snapshot file; the first rule that matches a path applies. */
const FILE_RULES: FileRule[] = [
  {
    test: /^profile-attributes\.json$/,
    target: none("ir.model.fields", "create"),
    confidence: 1,
    reason: "custom attribute definitions; their fields are created before any import",
  },
  {
    test: /^event-definitions\.json$/,
    target: none("mail.message", "skip"),
    confidence: 1,
    reason: "event schema only; each event code has its own entry",
  },
  {
    test: /^users\//,
    target: none("res.partner", "create"),
    confidence: 0.95,
    reason: "user export; one contact per extId, merged across files",
  },
  {
    test: /^segments\.json$/,
    target: tag,
    confidence: 0.9,
    reason: "one tag and one segment stage per segment; frozen rules go to the inventory",
  },
  {
    test: /^segment-users\//,
    target: tag,
    confidence: 0.9,
    reason: "segment membership; members get the segment's tag",
  },
  {
    test: /^tags\//,
    target: tag,
    confidence: 0.95,
    reason: "tag export; members get the tag named by the file",
  },
  {
    test: /^devices(\.|\/)/,
    target: none("res.partner", "existing"),
    confidence: 0.9,
    reason:
      "installations; platform, model and app version go on the contact, push tokens stay in the snapshot",
  },
  {
    test: /^events\//,
    target: none("mail.message", "note"),
    confidence: 0.9,
    reason: "event history; each event code has its own entry",
  },
  {
    test: /^campaigns\.json$/,
    target: none("utm.campaign", "create"),
    confidence: 0.9,
    reason: "one UTM campaign each; content and metrics migrate, large assets are flagged",
  },
  {
    test: /^push-results\//,
    target: none("mail.message", "note"),
    confidence: 0.85,
    reason: "per-user delivery rows; a note per campaign on each targeted contact",
  },
  {
    test: /^(journeys|widgets)\.json$/,
    target: none("mail.message", "skip"),
    confidence: 1,
    reason: "no Odoo equivalent; described in the written inventory",
  },
  {
    test: /^surveys\.json$/,
    target: none("mail.message", "skip"),
    confidence: 1,
    reason: "definitions and display logic go to the inventory; answers come from survey events",
  },
  {
    test: /^owners\./,
    target: none("res.users", "existing"),
    confidence: 0.9,
    reason: "panel users matched to Odoo users by e-mail; unmatched ones wait in the owner queue",
  },
  {
    test: /^companies\./,
    target: none("res.partner", "create"),
    confidence: 0.9,
    reason: "companies, created before contacts so that contacts can link to them",
  },
];

/** Propose one entry per snapshot file; unknown files are skipped and marked for review. */
export function proposeFiles(observations: SnapshotObservations): MappingEntry[] {
  return [...observations.files].sort().map((file) => {
    const rule = FILE_RULES.find((candidate) => candidate.test.test(file));
    if (!rule) {
      return {
        source: { kind: "file", name: file },
        target: none("res.partner", "skip"),
        confidence: 0.3,
        reason: "not a known snapshot file; nothing is imported from it",
        review: true,
      };
    }

    return {
      source: { kind: "file", name: file },
      target: rule.target,
      confidence: rule.confidence,
      reason: rule.reason,
      review: false,
    };
  });
}

/** How each file was decoded, as the proposal records it on the file entries. */
export interface FileEncodings {
  /** Encodings stated with `--encoding`, by snapshot path. */
  stated: Record<string, string>;
  /** Files read as Windows-1254 only because their bytes are not UTF-8. */
  guessed: string[];
}

/**
 * Record stated encodings in the file entries' options, where `plan` reads them, and mark each
 * file whose encoding was guessed for review, because Windows-1254 and Latin-1 differ in six
 * letters and nothing in the bytes tells them apart.
 */
export function noteFileEncodings(entries: MappingEntry[], encodings: FileEncodings): void {
  const guessed = new Set(encodings.guessed);
  for (const entry of entries) {
    if (entry.source.kind !== "file") {
      continue;
    }

    const stated = encodings.stated[entry.source.name];
    if (stated) {
      entry.options = { ...entry.options, encoding: stated };
    } else if (guessed.has(entry.source.name)) {
      entry.review = true;
      entry.reason +=
        "; read as Windows-1254 because it is not UTF-8: check its letters, and if it is " +
        'Latin-1 or another code page, set options.encoding (such as "latin1") or map again ' +
        `with --encoding ${entry.source.name}=latin1`;
    }
  }
}
