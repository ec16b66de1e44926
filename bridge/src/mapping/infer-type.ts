import { foldKey } from "../normalize/text.js";
import type { MappingOptions, MappingTarget, OdooFieldType } from "./types.js";
import { CHAR_MAX_LENGTH, DISTINCT_LIMIT, type ValueStats } from "./value-stats.js";

/** Arrays with at most this many distinct items become tags; more become a joined char field. */
export const TAGS_MAX_DISTINCT = 30;

/** Share of values that must fit a type for a confident proposal. */
const MOSTLY = 0.95;

/** Reason of a `skip` proposed for an attribute without values; plan reports values it meets. */
export const NO_VALUES_REASON = "no user has a value in this snapshot, so no field is created";

export interface Proposal {
  target: MappingTarget;
  confidence: number;
  reason: string;
  review: boolean;
  options?: MappingOptions;
}

export interface InferInput {
  /** Odoo field name to create when the proposal is a new field. */
  fieldName: string;
  dataType: string | undefined;
  isArray: boolean;
  stats: ValueStats | undefined;
  ownerEmails: Set<string>;
  companyIds: Set<string>;
}

const field = (
  name: string,
  type: OdooFieldType,
  action: MappingTarget["action"] = "create",
): MappingTarget => ({ model: "res.partner", field: name, type, action });

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

function percent(part: number, whole: number): string {
  return `${Math.round(share(part, whole) * 100)}%`;
}

function countText(stats: ValueStats): string {
  return `${stats.values} value${stats.values === 1 ? "" : "s"}`;
}

function distinctText(count: number): string {
  return count > DISTINCT_LIMIT ? `more than ${DISTINCT_LIMIT}` : String(count);
}

function textTarget(
  input: InferInput,
  stats: ValueStats,
  confidence: number,
  why: string,
): Proposal {
  const long = stats.maxLength > CHAR_MAX_LENGTH || stats.multiline > 0;
  return {
    target: field(input.fieldName, long ? "text" : "char"),
    confidence,
    reason: long
      ? `${why}; values up to ${stats.maxLength} characters need a text field`
      : `${why}; values up to ${stats.maxLength} characters fit a char field`,
    review: confidence < 0.6,
  };
}

/**
 * True when at least half of the distinct values (and at least two, unless there is only one)
 * are known ids. Half, not all: a few ids that point at records missing from the snapshot must
 * not hide the link; the plan quarantines those rows.
 */
/**
 * Count the distinct values that are ids of `known`, both folded as plan folds them (letter
 * case, Turkish dotted and dotless i, punctuation). Returns undefined unless at least half of
 * the distinct values match.
 */
function matchesMostly(
  stats: ValueStats,
  known: Set<string>,
): { hits: number; distinct: number } | undefined {
  if (known.size === 0 || stats.distinct.size === 0 || stats.distinctOverflow) {
    return undefined;
  }
  const folded = new Set([...known].map((value) => foldKey(value)));
  let hits = 0;
  for (const value of stats.distinct) {
    if (folded.has(foldKey(value))) {
      hits += 1;
    }
  }
  return hits > 0 && share(hits, stats.distinct.size) >= 0.5
    ? { hits, distinct: stats.distinct.size }
    : undefined;
}

/** Build the end of a link proposal's reason: how many values match no record. */
function unmatchedNote(match: { hits: number; distinct: number }, flag: string): string {
  const missing = match.distinct - match.hits;
  return missing === 0
    ? ""
    : `; ${missing} of ${match.distinct} distinct values match none and are flagged ${flag}`;
}

function inferArray(input: InferInput, stats: ValueStats): Proposal {
  const distinct = stats.distinctArrayItems;
  if (distinct <= TAGS_MAX_DISTINCT) {
    return {
      target: {
        model: "res.partner.category",
        field: "category_id",
        type: "many2many",
        action: "tag",
      },
      confidence: 0.8,
      reason: `array with ${distinct} distinct items; one contact tag per item`,
      review: false,
      options: { arrayHandling: "tags" },
    };
  }

  const long = stats.maxLength > CHAR_MAX_LENGTH;
  return {
    target: field(input.fieldName, long ? "text" : "char"),
    confidence: 0.75,
    reason: `array with ${distinctText(distinct)} distinct items, too many for tags; items joined with ";"`,
    review: false,
    options: { arrayHandling: "joined" },
  };
}

function inferNumber(input: InferInput, stats: ValueStats, declared: string): Proposal {
  const numeric = stats.integers + stats.decimals;
  const other = stats.values - numeric;
  if (share(numeric, stats.values) < MOSTLY) {
    return textTarget(
      input,
      stats,
      0.3,
      `declared ${declared} but ${percent(other, stats.values)} of ${countText(stats)} are not numbers`,
    );
  }

  const misfits = [
    stats.decimals > 0 ? `${stats.decimals} of ${countText(stats)} have decimals` : undefined,
    stats.largeIntegers > 0
      ? `${stats.largeIntegers} exceed Odoo's 32-bit integer range`
      : undefined,
  ].filter((text): text is string => text !== undefined);

  // The definition's type wins over the values: an INTEGER attribute stays an integer field,
  // and plan quarantines each value that is not a whole number in range.
  if (declared === "INTEGER" && misfits.length > 0) {
    return {
      target: field(input.fieldName, "integer"),
      confidence: 0.6,
      reason: `INTEGER; ${misfits.join(" and ")}, which plan quarantines`,
      review: true,
    };
  }

  if (misfits.length > 0) {
    return {
      target: field(input.fieldName, "float"),
      confidence: 0.9,
      reason: `${declared}; ${misfits.join(" and ")}, so a float field`,
      review: other > 0,
    };
  }

  return {
    target: field(input.fieldName, "integer"),
    confidence: declared === "INTEGER" ? 0.95 : 0.8,
    reason: `${declared}; all ${countText(stats)} are whole numbers`,
    review: other > 0,
  };
}

function inferDate(input: InferInput, stats: ValueStats): Proposal {
  const valid = stats.dates + stats.dateTimes;
  const invalid = stats.values - valid;
  const review = share(invalid, stats.values) > 0.05;
  const invalidText = invalid > 0 ? `; ${invalid} invalid values go to quarantine` : "";
  if (stats.dateTimes > 0) {
    return {
      target: field(input.fieldName, "datetime"),
      confidence: 0.75,
      reason: `DATE; ${stats.dateTimes} values carry a time of day, so a datetime field${invalidText}`,
      review: true,
    };
  }

  return {
    target: field(input.fieldName, "date"),
    confidence: review ? 0.6 : 0.95,
    reason: `DATE; values are calendar dates (local midnight in the source time zone)${invalidText}`,
    review,
  };
}

/** Guess a type from the values alone, for unknown data types and unknown headers. */
function inferFromValues(input: InferInput, stats: ValueStats, why: string): Proposal {
  const low = (target: MappingTarget, what: string): Proposal => ({
    target,
    confidence: 0.35,
    reason: `${why}; ${what}`,
    review: true,
  });
  if (stats.values > 0 && share(stats.booleans, stats.values) >= MOSTLY) {
    return low(field(input.fieldName, "boolean"), "values look boolean");
  }
  if (
    stats.values > 0 &&
    share(stats.integers, stats.values) >= MOSTLY &&
    stats.largeIntegers === 0
  ) {
    return low(field(input.fieldName, "integer"), "values look like whole numbers");
  }
  if (stats.values > 0 && share(stats.integers + stats.decimals, stats.values) >= MOSTLY) {
    return low(field(input.fieldName, "float"), "values look numeric");
  }
  if (stats.values > 0 && share(stats.dates, stats.values) >= MOSTLY) {
    return low(field(input.fieldName, "date"), "values look like dates");
  }
  if (stats.dateTimes > 0 && share(stats.dates + stats.dateTimes, stats.values) >= MOSTLY) {
    return low(field(input.fieldName, "datetime"), "values look like dates with times of day");
  }
  if (stats.jsonArrays > 0 && share(stats.jsonArrays, stats.values) >= MOSTLY) {
    return { ...inferArray(input, stats), confidence: 0.35, review: true };
  }

  const mixed =
    stats.integers + stats.decimals > 0 ? "mixed numbers and words, kept as text" : "kept as text";
  return textTarget(input, stats, 0.3, `${why}; ${mixed}`);
}

/**
 * Propose an Odoo target for a custom attribute or an unknown column from its Netmera data
 * type and the values seen in the snapshot.
 */
export function inferTarget(input: InferInput): Proposal {
  const stats = input.stats;
  const dataType = (input.dataType ?? "").toUpperCase();
  if (!stats || stats.values === 0) {
    return {
      target: { model: "res.partner", field: null, type: null, action: "skip" },
      confidence: 0.6,
      reason: NO_VALUES_REASON,
      review: false,
    };
  }

  if (input.isArray) {
    return inferArray(input, stats);
  }

  switch (dataType) {
    case "STRING":
    case "TEXT": {
      const owners = matchesMostly(stats, input.ownerEmails);
      if (owners) {
        return {
          target: { model: "res.partner", field: "user_id", type: "many2one", action: "existing" },
          confidence: 0.7,
          reason:
            "values are e-mails of panel users in owners.csv; set as the contact's salesperson" +
            unmatchedNote(owners, "unknown_owner"),
          review: true,
        };
      }
      const companies = matchesMostly(stats, input.companyIds);
      if (companies) {
        return {
          target: {
            model: "res.partner",
            field: "parent_id",
            type: "many2one",
            action: "existing",
          },
          confidence: 0.7,
          reason:
            "values are company ids from companies.csv; links the contact to its company" +
            unmatchedNote(companies, "unknown_company"),
          review: true,
        };
      }
      return textTarget(input, stats, 0.9, "STRING");
    }
    case "INTEGER":
    case "LONG":
    case "NUMBER":
    case "DOUBLE":
    case "FLOAT":
    case "DECIMAL":
      return inferNumber(input, stats, dataType);
    case "DATE":
    case "DATETIME":
      return inferDate(input, stats);
    case "BOOLEAN": {
      const ok = share(stats.booleans + stats.integers, stats.values) >= MOSTLY;
      return {
        target: field(input.fieldName, "boolean"),
        confidence: ok ? 0.95 : 0.4,
        reason: ok ? "BOOLEAN" : `BOOLEAN, but ${countText(stats)} are not all true/false`,
        review: !ok,
      };
    }
    default:
      return inferFromValues(
        input,
        stats,
        dataType ? `data type ${dataType} has no Odoo equivalent` : "no data type given",
      );
  }
}
