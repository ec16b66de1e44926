import { xmlIdFor } from "../core/xml-id.js";
import type { Segment } from "../snapshot/schemas.js";
import type { PhaseProducer, PlanContext } from "./context.js";
import { countSkip, emptyCounts } from "./types.js";

/** Frozen rule text of a segment; the pull stores it as `ruleText` (or `rule`). */
function ruleText(segment: Segment): string | undefined {
  const text = segment.ruleText ?? (segment as Record<string, unknown>).rule;
  return typeof text === "string" && text.trim() !== "" ? text : undefined;
}

interface SegmentItem {
  id: string;
  name: string;
  rule?: string;
  source?: { file: string; line: number };
}

/**
 * Segments in stage order: segments.json in its order, then segments that only a membership
 * file names (sorted by id), so the same snapshot always gives the same sequence.
 */
export function segmentItems(context: PlanContext): SegmentItem[] {
  const items: SegmentItem[] = context.segments.map((segment, index) => ({
    id: segment.id,
    name: segment.name,
    rule: ruleText(segment),
    source: { file: "segments.json", line: index + 1 },
  }));
  const known = new Set(items.map((item) => item.id));
  for (const id of [...context.state.membershipSegments].sort()) {
    if (!known.has(id)) {
      items.push({ id, name: `Segment ${id}` });
    }
  }
  return items;
}

/** Stage of each segment id, for contacts: the first of a contact's segments in this order. */
export function stageOrder(context: PlanContext): Map<string, number> {
  return new Map(segmentItems(context).map((item, index) => [item.id, index]));
}

/** segments → `stages` rows (netmera.segment.stage) with the frozen rule text. */
export const stagesPhase: PhaseProducer = {
  name: "stages",
  async produce(context, writer) {
    const counts = emptyCounts("stages");
    for (const [index, item] of segmentItems(context).entries()) {
      counts.read += 1;
      const values: Record<string, unknown> = {
        name: item.name,
        sequence: (index + 1) * 10,
        segment_key: item.id,
      };
      if (item.rule) {
        values.rule_text = item.rule;
      }
      await writer.write({ xml_id: xmlIdFor("stage", item.id), values, source: item.source });
      counts.planned += 1;
    }
    return counts;
  },
};

/**
 * Segments, tag files and array values mapped to tags → `tags` rows (res.partner.category).
 * Runs after contacts, which collect the array values.
 */
export const tagsPhase: PhaseProducer = {
  name: "tags",
  after: ["contacts"],
  async produce(context, writer) {
    const counts = emptyCounts("tags");
    const written = new Set<string>();
    for (const item of segmentItems(context)) {
      counts.read += 1;
      const xmlId = xmlIdFor("segment", item.id);
      written.add(xmlId);
      await writer.write({ xml_id: xmlId, values: { name: item.name }, source: item.source });
      counts.planned += 1;
    }
    for (const tag of [...context.state.membershipTags].sort()) {
      counts.read += 1;
      const xmlId = xmlIdFor("tag", tag);
      if (written.has(xmlId)) {
        countSkip(counts, "tag listed twice");
        continue;
      }
      written.add(xmlId);
      await writer.write({ xml_id: xmlId, values: { name: tag } });
      counts.planned += 1;
    }
    const valueTags = [...context.state.valueTags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [xmlId, name] of valueTags) {
      counts.read += 1;
      if (written.has(xmlId)) {
        countSkip(counts, "tag listed twice");
        continue;
      }
      written.add(xmlId);
      await writer.write({ xml_id: xmlId, values: { name } });
      counts.planned += 1;
    }
    return counts;
  },
};
