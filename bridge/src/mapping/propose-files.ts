import type { SnapshotObservations } from "./observations.js";
import { folderOf } from "../snapshot/snapshot.js";
import type { MappingEntry, MappingTarget } from "./types.js";

interface FileRule {
  test: { test(file: string): boolean };
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

/** Extensions the table and record readers take, as regular expression groups. */
const TABLE = "(csv|txt|tsv|xlsx)";
const RECORD = "(csv|txt|tsv|xlsx|json|ndjson|jsonl)";
const JSON_RECORD = "(json|ndjson|jsonl)";

/**
 * Target of each kind of snapshot file; the first rule that matches a path applies. The rules
 * follow the readers, which match folder names without letter case.
 */
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
    test: new RegExp(`^users/.+\\.${TABLE}$`, "i"),
    target: none("res.partner", "create"),
    confidence: 0.95,
    reason: "user export; one contact per extId, merged across files",
  },
  {
    test: new RegExp(`^profiles/.+\\.${JSON_RECORD}$`, "i"),
    target: none("res.partner", "create"),
    confidence: 0.95,
    reason: "profiles that pull fetched per user; merged into the contacts by extId",
  },
  {
    test: new RegExp(`^user-devices/.+\\.${JSON_RECORD}$`, "i"),
    target: none("res.partner", "existing"),
    confidence: 0.9,
    reason: "devices that pull fetched per user; push tokens stay in the snapshot",
  },
  {
    test: /^segments\.json$/,
    target: tag,
    confidence: 0.9,
    reason: "one tag and one segment stage per segment; frozen rules go to the inventory",
  },
  {
    test: new RegExp(`^segment-users/.+\\.${RECORD}$`, "i"),
    target: tag,
    confidence: 0.9,
    reason: "segment membership; members get the segment's tag",
  },
  {
    test: new RegExp(`^tags/.+\\.${RECORD}$`, "i"),
    target: tag,
    confidence: 0.95,
    reason: "tag export; members get the tag named by the file",
  },
  {
    test: new RegExp(`^devices(/.+)?\\.${RECORD}$`, "i"),
    target: none("res.partner", "existing"),
    confidence: 0.9,
    reason:
      "installations; platform, model and app version go on the contact, push tokens stay in the snapshot",
  },
  {
    test: {
      test: (file: string) =>
        folderOf(file) === "events" && new RegExp(`\\.${TABLE}$`, "i").test(file),
    },
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
    test: /^push-results\//i,
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
    test: new RegExp(`^owners\\.${TABLE}$`, "i"),
    target: none("res.users", "existing"),
    confidence: 0.9,
    reason: "panel users matched to Odoo users by e-mail; unmatched ones wait in the owner queue",
  },
  {
    test: new RegExp(`^companies\\.${TABLE}$`, "i"),
    target: none("res.partner", "create"),
    confidence: 0.9,
    reason: "companies, created before contacts so that contacts can link to them",
  },
  {
    test: /^(push-stats|coverage|segment-rules)\.json$/,
    target: none("mail.message", "skip"),
    confidence: 1,
    reason: "written or read by pull (push totals, segment coverage, rule texts); not imported",
  },
  {
    test: /^inbox\//,
    target: none("mail.message", "skip"),
    confidence: 1,
    reason: "inbox messages that pull fetched with --inbox; not imported",
  },
];

/** Folders whose files a reader takes, in lower case. */
export const KNOWN_FOLDERS = [
  "users",
  "profiles",
  "user-devices",
  "segment-users",
  "tags",
  "devices",
  "events",
  "push-results",
  "inbox",
];

/**
 * Why no reader takes `file`, or undefined when a reader does. The reason names where the file
 * would have to be for its rows to be imported.
 */
export function unreadFileReason(file: string): string | undefined {
  if (FILE_RULES.some((rule) => rule.test.test(file))) {
    return undefined;
  }

  const parts = file.split("/");
  const name = (parts[parts.length - 1] ?? "").toLowerCase();
  const folder = parts.length > 1 ? (parts[0] ?? "") : undefined;
  const known = folder
    ? KNOWN_FOLDERS.find((candidate) => candidate === folder.toLowerCase())
    : undefined;
  if (known) {
    return `the readers of ${known}/ do not take files of this type; export it as .csv or .xlsx`;
  }
  if (folder === undefined && /^users?[^/]*\.(csv|txt|tsv|xlsx)$/.test(name)) {
    return "a user export at the top level is not read; move it into users/";
  }
  if (folder === undefined && name.startsWith("devices")) {
    return (
      "only devices.csv or devices.json at the top level is read as installations; move this " +
      "file into devices/ to read it too"
    );
  }
  return (
    "not a known snapshot file, so nothing is imported from it; user exports belong in " +
    "users/, installations in devices/, events in events/"
  );
}

/** Propose one entry per snapshot file; unknown files are skipped and marked for review. */
export function proposeFiles(observations: SnapshotObservations): MappingEntry[] {
  return [...observations.files].sort().map((file) => {
    const rule = FILE_RULES.find((candidate) => candidate.test.test(file));
    if (!rule) {
      return {
        source: { kind: "file", name: file },
        target: none("res.partner", "skip"),
        confidence: 0.3,
        reason: unreadFileReason(file) ?? "not a known snapshot file",
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

/** Encodings of the snapshot files, as the proposal records them on the file entries. */
export interface FileEncodings {
  /** Encodings stated with `--encoding`, by snapshot path. */
  stated: Record<string, string>;
  /** Files read as Windows-1254 only because their bytes are not UTF-8. */
  guessed: string[];
}

/**
 * Record stated encodings in the file entries' options, where `plan` reads them, and mark each
 * file whose encoding was guessed for review, because Windows-1254 and Latin-1 differ in six
 * letters and nothing in the bytes distinguishes them.
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
