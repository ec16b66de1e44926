import { mkdirSync, readdirSync } from "node:fs";

import {
  APP_NAME,
  CAMPAIGNS,
  COMPANIES,
  CUSTOM_ATTRIBUTES,
  CUSTOM_EVENTS,
  JOURNEYS,
  OWNERS,
  PULLED_AT,
  SEGMENTS,
  SOURCE_TIME_ZONE,
  STANDARD_ATTRIBUTES,
  STANDARD_EVENTS,
  SURVEYS,
  TAGS,
  WIDGETS,
  type SegmentKey,
  type TagKey,
} from "./definitions.js";
import { istanbulIso, makeEvents } from "./events.js";
import { CsvSink, JsonArraySink, writeJsonFile } from "./output.js";
import {
  PUSH_RESULT_HEADER,
  emptyStats,
  makePushResults,
  type CampaignStats,
} from "./push-results.js";
import { USER_FILES } from "./user-files.js";
import { makeUser } from "./users.js";

export interface GenerateOptions {
  users: number;
  eventsPerUser: number;
  seed: string | number;
  out: string;
  /** Called every `progressEvery` users with the number done. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

export interface GenerateSummary {
  users: number;
  events: number;
  files: Record<string, string>;
}

const EVENT_HEADER = ["externalId", "installationId", "eventCode", "timestamp", "attributes"];
const DEVICE_HEADER = [
  "platform",
  "extId",
  "installationId",
  "model",
  "appVersion",
  "osVersion",
  "token",
  "pushPermitted",
];

/**
 * Write a complete sample snapshot into `out` in one pass over the users. Every user is built
 * from (seed, index) and written to all files it belongs in at once, so memory stays flat for
 * millions of users. manifest.json is written last, with the sha256 of every other file.
 */
export function generateSnapshot(options: GenerateOptions): GenerateSummary {
  const { out, seed } = options;
  mkdirSync(out, { recursive: true });
  if (readdirSync(out).length > 0) {
    throw new Error(`${out} is not empty; the generator writes only into a new or empty folder`);
  }

  const files: Record<string, string> = {};
  const record = (path: string, sha256: string) => {
    files[path] = sha256;
  };

  const userSinks = USER_FILES.map(
    (spec) => new CsvSink(out, spec.path, spec.header, spec.delimiter, spec.encoding),
  );
  const segmentSinks = new Map<SegmentKey, CsvSink | JsonArraySink>();
  const segmentCounts = new Map<SegmentKey, number>();
  for (const segment of SEGMENTS) {
    if (segment.membershipFile?.endsWith(".json")) {
      segmentSinks.set(
        segment.key,
        new JsonArraySink(out, segment.membershipFile, { name: segment.name }, "list"),
      );
    } else if (segment.membershipFile) {
      segmentSinks.set(
        segment.key,
        new CsvSink(out, segment.membershipFile, ["externalId", "msisdn", "email"]),
      );
    }
    segmentCounts.set(segment.key, 0);
  }

  const tagSinks = new Map<TagKey, CsvSink>(
    TAGS.map((tag) => [tag, new CsvSink(out, `tags/${tag}.csv`, ["External ID", "Email"])]),
  );
  const deviceSink = new CsvSink(out, "devices.csv", DEVICE_HEADER);
  const eventSinks = new Map<string, CsvSink>();
  const pushSinks = CAMPAIGNS.filter((c) => c.targetSegments.length > 0).map((campaign) => ({
    campaign,
    sink: new CsvSink(out, `push-results/${campaign.notificationKey}.csv`, PUSH_RESULT_HEADER),
  }));
  const stats = new Map<string, CampaignStats>(CAMPAIGNS.map((c) => [c.id, emptyStats()]));
  let eventCount = 0;

  for (let index = 0; index < options.users; index += 1) {
    const user = makeUser(seed, index);

    USER_FILES.forEach((spec, i) => {
      if (spec.includes(user)) {
        userSinks[i]?.writeRow(spec.row(user));
      }
    });

    for (const key of user.segments) {
      const sink = segmentSinks.get(key);
      if (!sink) {
        continue;
      }
      segmentCounts.set(key, (segmentCounts.get(key) ?? 0) + 1);
      if (sink instanceof JsonArraySink) {
        sink.push({ externalId: user.extId, msisdn: user.msisdn, email: user.email });
      } else {
        sink.writeRow([user.extId, user.msisdn, user.email]);
      }
    }

    for (const tag of user.tags) {
      tagSinks.get(tag)?.writeRow([user.extId, user.email]);
    }

    for (const device of user.devices) {
      deviceSink.writeRow([
        device.platform,
        user.extId,
        device.installationId,
        device.model,
        device.appVersion,
        device.osVersion,
        device.token,
        device.pushPermitted,
      ]);
    }

    const installationId = user.devices[0]?.installationId ?? "";
    for (const event of makeEvents(seed, user, options.eventsPerUser)) {
      const timestamp = istanbulIso(event.epochMs);
      const month = timestamp.slice(0, 7);
      let sink = eventSinks.get(month);
      if (!sink) {
        sink = new CsvSink(out, `events/${month}.csv`, EVENT_HEADER);
        eventSinks.set(month, sink);
      }
      sink.writeRow([
        user.extId,
        installationId,
        event.code,
        timestamp,
        JSON.stringify(event.attributes),
      ]);
      eventCount += 1;
    }

    for (const { campaign, sink } of pushSinks) {
      const campaignStats = stats.get(campaign.id) ?? emptyStats();
      for (const row of makePushResults(seed, campaign, user, campaignStats)) {
        sink.writeRow(row);
      }
    }

    if (options.onProgress && (index + 1) % (options.progressEvery ?? 100_000) === 0) {
      options.onProgress(index + 1);
    }
  }

  for (const sink of [
    ...userSinks,
    ...segmentSinks.values(),
    ...tagSinks.values(),
    deviceSink,
    ...eventSinks.values(),
    ...pushSinks.map((p) => p.sink),
  ]) {
    record(sink.path, sink.close());
  }

  writeDefinitions(out, segmentCounts, stats, record);
  writeJsonFile(out, "manifest.json", {
    app: APP_NAME,
    pulledAt: PULLED_AT,
    sourceTimeZone: SOURCE_TIME_ZONE,
    files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))),
  });
  return { users: options.users, events: eventCount, files };
}

function writeDefinitions(
  out: string,
  segmentCounts: Map<SegmentKey, number>,
  stats: Map<string, CampaignStats>,
  record: (path: string, sha256: string) => void,
): void {
  const json = (path: string, value: unknown) => record(path, writeJsonFile(out, path, value));

  json("profile-attributes.json", {
    standardProfileAttributes: STANDARD_ATTRIBUTES,
    customProfileAttributes: CUSTOM_ATTRIBUTES,
  });
  json("event-definitions.json", { standardEvents: STANDARD_EVENTS, customEvents: CUSTOM_EVENTS });
  json("segments.json", {
    list: SEGMENTS.map((segment) => ({
      id: segment.id,
      name: segment.name,
      userCount:
        segment.type === "CONNECTORS_SEGMENT" ? null : (segmentCounts.get(segment.key) ?? 0),
      type: segment.type,
      dynamic: segment.dynamic,
      ruleText: segment.ruleText,
      frozenAt: PULLED_AT,
    })),
  });
  json("campaigns.json", {
    campaigns: CAMPAIGNS.map((campaign) => ({ ...campaign, stats: stats.get(campaign.id) })),
  });
  json("journeys.json", { journeys: JOURNEYS });
  json("widgets.json", { widgets: WIDGETS });
  json("surveys.json", { surveys: SURVEYS });

  const owners = new CsvSink(out, "owners.csv", ["name", "surname", "email"]);
  for (const owner of OWNERS) {
    owners.writeRow([owner.name, owner.surname, owner.email]);
  }
  record(owners.path, owners.close());

  const companies = new CsvSink(out, "companies.csv", [
    "companyId",
    "name",
    "domain",
    "city",
    "country",
    "phone",
    "taxNumber",
  ]);
  for (const company of COMPANIES) {
    companies.writeRow([
      company.companyId,
      company.name,
      company.domain,
      company.city,
      company.country,
      company.phone,
      company.taxNumber,
    ]);
  }
  record(companies.path, companies.close());
}
