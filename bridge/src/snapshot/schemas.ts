import { z } from "zod";

/**
 * zod schemas of the snapshot's JSON files. They follow what Netmera's REST API returns (see the
 * field notes per schema) and keep unknown fields, because Netmera omits empty fields and adds
 * new ones without notice.
 */

const idSchema = z.union([z.string(), z.number()]).transform((id) => String(id));
const optionalText = z.string().nullish();

/** One entry of GET /rest/3.0/app/profile-attributes (`code`, `dataType`, `name` documented). */
export const profileAttributeSchema = z.looseObject({
  code: z.string().min(1),
  dataType: z.string().optional(),
  name: optionalText,
  label: optionalText,
  isArray: z.boolean().optional(),
  description: optionalText,
});

export const profileAttributesFileSchema = z.union([
  z.looseObject({
    standardProfileAttributes: z.array(profileAttributeSchema).default([]),
    customProfileAttributes: z.array(profileAttributeSchema).default([]),
  }),
  z.array(profileAttributeSchema).transform((list) => ({
    standardProfileAttributes: [],
    customProfileAttributes: list,
  })),
]);

/** One entry of GET /rest/3.0/app/events. */
export const eventDefinitionSchema = z.looseObject({
  code: z.string().min(1),
  name: optionalText,
  attributes: z.array(z.unknown()).optional(),
});

export const eventDefinitionsFileSchema = z.looseObject({
  standardEvents: z.array(eventDefinitionSchema).default([]),
  customEvents: z.array(eventDefinitionSchema).default([]),
});

/** One entry of GET /rest/3.0/getSegments, plus the frozen rule text the pull adds. */
export const segmentSchema = z.looseObject({
  id: idSchema,
  name: z.string().min(1),
  userCount: z.number().nullish(),
  type: z.string().optional(),
  status: z.string().optional(),
  ruleText: optionalText,
});

export const segmentsFileSchema = z.union([
  z.looseObject({ list: z.array(segmentSchema) }).transform((file) => file.list),
  z.array(segmentSchema),
]);

/** One member of GET /rest/3.0/getSegmentUsers (`externalId`, `email`, `msisdn`). */
export const memberRecordSchema = z.looseObject({
  externalId: optionalText,
  extId: optionalText,
  email: optionalText,
  msisdn: z.union([z.string(), z.number()]).nullish(),
});

/**
 * One installation from GET /rest/3.0/getDeviceTokens or getDevices. Field names differ between
 * Netmera's document versions (`token` and `deviceModel` against `deviceToken` and
 * `installationId`), so all of them are accepted.
 */
export const deviceRecordSchema = z.looseObject({
  extId: optionalText,
  externalId: optionalText,
  installationId: optionalText,
  platform: optionalText,
  deviceModel: optionalText,
  model: optionalText,
  appVersion: optionalText,
  appV: optionalText,
  osVersion: optionalText,
  osV: optionalText,
  token: optionalText,
  deviceToken: optionalText,
  pushPermitted: z.boolean().nullish(),
});

const netmeraErrorSchema = z.looseObject({
  netmeraCode: z.number().nullish(),
  message: z.string().nullish(),
});

/** One line of `profiles/*.ndjson` (pull): getProfileAttributes' response, or the error. */
export const profileRecordSchema = z.looseObject({
  extId: optionalText,
  profile: z.record(z.string(), z.unknown()).nullish(),
  error: netmeraErrorSchema.nullish(),
});

/** One line of `user-devices/*.ndjson` (pull): getDevices' response for one user, or the error. */
export const userDevicesRecordSchema = z.looseObject({
  extId: optionalText,
  devices: z.array(deviceRecordSchema).nullish(),
  error: netmeraErrorSchema.nullish(),
});

export type ProfileAttribute = z.infer<typeof profileAttributeSchema>;
export type EventDefinition = z.infer<typeof eventDefinitionSchema>;
export type Segment = z.infer<typeof segmentSchema>;
export type MemberRecord = z.infer<typeof memberRecordSchema>;
export type DeviceRecord = z.infer<typeof deviceRecordSchema>;
