import { z } from 'zod';
import type { AuditRow } from '../db/schema/audit.js';
import type { EnvironmentRow } from '../db/schema/environments.js';
import { ENV_STATES } from '../domain/lifecycle.js';
import type { Preset } from '../domain/presets.js';

/** The API's request and answer shapes, as zod schemas: they validate requests, type handlers and make the OpenAPI document. */

const time = z.iso.datetime({ offset: true }).describe('ISO 8601, UTC');
const nullableTime = time.nullable();

export const problemSchema = z
  .object({
    type: z.string().describe('a stable URI of the kind of problem, `urn:aithroyz:problem:<code>`'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string(),
    requestId: z.string(),
    field: z.string().optional().describe('the field at fault (422), e.g. `body/ttl`'),
  })
  .describe('RFC 9457 problem details, sent as application/problem+json');

/** The refusals every route with a key can give. */
const COMMON_PROBLEMS = { 401: problemSchema, 403: problemSchema, 422: problemSchema, 429: problemSchema } as const;
export const problems = {
  common: COMMON_PROBLEMS,
  onEnvironment: { ...COMMON_PROBLEMS, 404: problemSchema },
  onChange: { ...COMMON_PROBLEMS, 404: problemSchema, 409: problemSchema },
} as const;

export const presetSchema = z.object({
  id: z.string(),
  name: z.string(),
  tools: z.array(z.object({ id: z.string(), name: z.string() })),
  defaultTtlSeconds: z.number().int(),
  maxTtlSeconds: z.number().int(),
  approvalRequired: z.boolean(),
  instanceSize: z.string(),
  hourlyCostUsd: z.number(),
});

export function presetBody(preset: Preset): z.infer<typeof presetSchema> {
  return {
    id: preset.id,
    name: preset.name,
    tools: preset.tools.map((tool) => ({ id: tool.id, name: tool.name })),
    defaultTtlSeconds: preset.defaultTtlSeconds,
    maxTtlSeconds: preset.maxTtlSeconds,
    approvalRequired: preset.approvalRequired,
    instanceSize: preset.instanceSize,
    hourlyCostUsd: preset.hourlyCostUsd,
  };
}

export const envStateSchema = z.enum(ENV_STATES);

export const environmentSchema = z.object({
  id: z.string().describe('env- and 6 lowercase letters or digits'),
  name: z.string().nullable(),
  preset: z.string(),
  state: envStateSchema,
  owner: z.object({ platform: z.string(), id: z.string(), name: z.string() }),
  ttlSeconds: z.number().int(),
  requestedAt: time,
  approvalDeadline: time,
  runningAt: nullableTime,
  expiresAt: nullableTime,
  maxExpiresAt: nullableTime,
  finishedAt: nullableTime,
  endpoints: z.record(z.string(), z.string()),
});

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function environmentBody(env: EnvironmentRow): z.infer<typeof environmentSchema> {
  return {
    id: env.id,
    name: env.name,
    preset: env.presetId,
    state: env.state,
    owner: { platform: env.platform, id: env.ownerId, name: env.ownerName },
    ttlSeconds: env.ttlSeconds,
    requestedAt: env.requestedAt.toISOString(),
    approvalDeadline: env.approvalDeadline.toISOString(),
    runningAt: iso(env.runningAt),
    expiresAt: iso(env.expiresAt),
    maxExpiresAt: iso(env.maxExpiresAt),
    finishedAt: iso(env.finishedAt),
    endpoints: env.endpoints,
  };
}

/** Path parameter of the routes on one environment; ids that are not environment ids are answered 404. */
export const envParams = z.object({ id: z.string().max(64).describe('the environment id, e.g. env-7k2p9q') }).strict();

const duration = z.string().min(1).max(32).describe('a duration: 15m, 8h, 2d, 1d12h');

export const requestBody = z
  .object({
    preset: z.string().min(1).max(64).describe('a preset id from GET /presets'),
    ttl: duration.optional().describe("the lab's time to live (default: the preset's)"),
    name: z.string().min(1).max(200).optional().describe('a display name, 1 to 60 characters'),
  })
  .strict();

export const extendBody = z.object({ by: duration.describe('how much longer: 1h, 4h') }).strict();
export const rejectBody = z.object({ reason: z.string().min(1).max(2000).describe('why, 3 to 500 characters') }).strict();
/** Routes that take no input accept no body, or an empty JSON object. */
export const emptyBody = z.object({}).strict().nullish();

export const listQuery = z
  .object({
    status: envStateSchema.optional().describe('only environments in this state'),
    mine: z.enum(['true', 'false']).optional().describe("admins see everyone's environments unless `mine=true`"),
  })
  .strict();

const auditFilterFields = {
  from: z.string().max(40).optional().describe('a date (2026-11-26) or ISO 8601 time; default: 7 days before `to`'),
  to: z.string().max(40).optional().describe('a date or ISO 8601 time, inclusive; default: now'),
  type: z.string().max(1000).optional().describe('comma-separated categories or event types (`team`, `plan.approved`)'),
  actor: z.string().max(128).optional().describe('an actor id: a user id, an API key prefix, or a system component'),
  resource: z.string().max(200).optional().describe('a resource id (`env-7k2p9q`), or type:id (`environment:env-7k2p9q`)'),
};

export const auditEventsQuery = z
  .object({
    ...auditFilterFields,
    cursor: z.string().regex(/^\d{1,15}$/, 'must be the `next` of the previous page').optional().describe('the `next` of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100).describe('entries per page, 1 to 1000'),
  })
  .strict();

export const auditCsvQuery = z.object(auditFilterFields).strict();

export const auditEntrySchema = z.object({
  id: z.number().int(),
  occurredAt: time,
  category: z.string(),
  event: z.string().describe('the event type, e.g. plan.approved'),
  actor: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string(), name: z.string() }),
  platform: z.string().nullable(),
  channelId: z.string().nullable(),
  resource: z.object({ type: z.string(), id: z.string() }).nullable(),
  outcome: z.enum(['ok', 'denied', 'invalid', 'error']),
  details: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

export function auditEntryBody(row: AuditRow): z.infer<typeof auditEntrySchema> {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    category: row.category,
    event: row.eventType,
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    platform: row.platform,
    channelId: row.channelId,
    resource: row.resourceType !== null && row.resourceId !== null ? { type: row.resourceType, id: row.resourceId } : null,
    outcome: row.outcome,
    details: row.details,
    requestId: row.requestId,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

export const auditPageSchema = z.object({
  entries: z.array(auditEntrySchema),
  next: z.string().nullable().describe('the cursor of the next page; null on the last page'),
});

const headSchema = z.object({ id: z.number().int(), hash: z.string() });

export const verificationSchema = z.object({
  last: z
    .object({
      at: time,
      outcome: z.enum(['ok', 'denied', 'invalid', 'error']),
      intact: z.boolean().nullable(),
      checked: z.number().int().nullable(),
      trigger: z.string().nullable(),
      details: z.record(z.string(), z.unknown()),
    })
    .nullable()
    .describe('the newest audit.verified entry; null when the chain was never checked'),
  head: headSchema.nullable().describe('the newest entry of the chain now'),
});

export const verifyStartedSchema = z.object({ status: z.literal('started'), requestId: z.string() });
