import { Random } from "./random.js";
import { EVENT_WINDOW, SURVEYS, UNDEFINED_EVENT_CODE } from "./definitions.js";
import { SPECIAL_CASES, istanbulEpoch, type SampleUser } from "./users.js";
import { PAGES, SEARCH_TERMS } from "./vocabulary.js";

export interface SampleEvent {
  epochMs: number;
  code: string;
  attributes: Record<string, unknown>;
}

/** High-frequency day: this many page views or more of one user on one day. */
export const BINGE_MIN_PAGE_VIEWS = 30;

const WINDOW_DAYS = 182;

/** Users at these indexes always get a binge day and survey answers, at any size and seed. */
export const FORCED_BINGE_INDEX = SPECIAL_CASES.length;
export const FORCED_SURVEY_INDEX = SPECIAL_CASES.length + 1;

function windowStart(): { year: number; month: number; day: number } {
  const [year, month, day] = EVENT_WINDOW.start.split("-").map(Number);
  return { year: year ?? 2024, month: month ?? 1, day: day ?? 1 };
}

function randomInstant(random: Random, dayOffset: number): number {
  const start = windowStart();
  const date = new Date(Date.UTC(start.year, start.month - 1, start.day + dayOffset));
  return istanbulEpoch(
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    random.int(7, 23),
    random.int(0, 59),
    random.int(0, 59),
  );
}

function ordinaryEvent(random: Random, epochMs: number, user: SampleUser): SampleEvent {
  const roll = random.next();
  if (roll < 0.45) {
    return {
      epochMs,
      code: "page_view",
      attributes: { page: random.pick(PAGES), durationSec: random.int(1, 600) },
    };
  }
  if (roll < 0.65) {
    return { epochMs, code: "n:oa", attributes: {} };
  }
  if (roll < 0.75) {
    return { epochMs, code: "search", attributes: { term: random.pick(SEARCH_TERMS) } };
  }
  if (roll < 0.85) {
    return {
      epochMs,
      code: "add_to_cart",
      attributes: {
        productId: `P-${random.int(1000, 9999)}`,
        price: random.int(1000, 500000) / 100,
        quantity: random.int(1, 3),
      },
    };
  }
  if (roll < 0.92) {
    return {
      epochMs,
      code: "purchase",
      attributes: {
        orderId: `S-${user.index}-${random.hex(6)}`,
        amount: random.int(5000, 2500000) / 100,
        currency: user.place.country === "TR" ? "TRY" : "EUR",
        items: Array.from({ length: random.int(1, 3) }, () => `P-${random.int(1000, 9999)}`),
      },
    };
  }
  if (roll < 0.99) {
    return { epochMs, code: "n:po", attributes: { notificationKey: "84512" } };
  }
  return {
    epochMs,
    code: UNDEFINED_EVENT_CODE,
    attributes: { basketId: random.hex(8), step: random.int(1, 4) },
  };
}

/** Build all events of one user in time order; the same (seed, user) always gives the same events. */
export function makeEvents(
  seed: string | number,
  user: SampleUser,
  perUser: number,
): SampleEvent[] {
  const random = new Random(seed, "events", user.index);
  const events: SampleEvent[] = [];
  const count = perUser <= 0 ? 0 : Math.max(1, Math.round(perUser * (0.5 + random.next())));
  for (let i = 0; i < count; i += 1) {
    events.push(ordinaryEvent(random, randomInstant(random, random.int(0, WINDOW_DAYS - 1)), user));
  }

  const binge = user.index === FORCED_BINGE_INDEX || (perUser > 0 && random.chance(0.1));
  if (binge) {
    const day = random.int(0, WINDOW_DAYS - 1);
    const views = random.int(BINGE_MIN_PAGE_VIEWS, BINGE_MIN_PAGE_VIEWS + 15);
    for (let i = 0; i < views; i += 1) {
      events.push({
        epochMs: randomInstant(random, day),
        code: "page_view",
        attributes: { page: random.pick(PAGES), durationSec: random.int(1, 90) },
      });
    }
  }

  const survey = user.index === FORCED_SURVEY_INDEX || (perUser > 0 && random.chance(0.05));
  if (survey && user.extId !== null) {
    const at = randomInstant(random, random.int(0, WINDOW_DAYS - 1));
    const definition = SURVEYS[0];
    definition?.questions.forEach((question, q) => {
      const answer =
        question.options.length > 0
          ? random.pick(question.options)
          : random.pick(["Kargo daha hızlı olabilir.", "Her şey çok iyi, teşekkürler!"]);
      events.push({
        epochMs: at + q * 1000,
        code: "survey_response",
        attributes: {
          surveyId: definition.id,
          questionId: question.id,
          question: question.title,
          answer,
        },
      });
    });
  }

  events.sort((a, b) => a.epochMs - b.epochMs);
  return events;
}

/** ISO 8601 with the Istanbul offset (+03:00 for every date since September 2016). */
export function istanbulIso(epochMs: number): string {
  const local = new Date(epochMs + 3 * 3600_000).toISOString();
  return `${local.slice(0, 19)}+03:00`;
}
