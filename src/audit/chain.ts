import { createHash } from 'node:crypto';

/** The hash the first entry chains to. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an entry that its hash covers, in a fixed order. */
export interface ChainedFields {
  id: number;
  occurredAt: Date;
  category: string;
  eventType: string;
  actorType: string;
  actorId: string;
  actorName: string;
  platform: string | null;
  channelId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  outcome: string;
  details: unknown;
  requestId: string | null;
}

/** JSON with object keys sorted at every level: the same value always gives the same text (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** The canonical text of an entry: a JSON array of its fields in a fixed order, timestamps as ISO 8601 UTC. */
export function canonicalEntry(entry: ChainedFields): string {
  return canonicalJson([
    entry.id,
    entry.occurredAt.toISOString(),
    entry.category,
    entry.eventType,
    entry.actorType,
    entry.actorId,
    entry.actorName,
    entry.platform,
    entry.channelId,
    entry.resourceType,
    entry.resourceId,
    entry.outcome,
    entry.details,
    entry.requestId,
  ]);
}

/** SHA-256 over the previous hash and the canonical entry. */
export function chainHash(prevHash: string, entry: ChainedFields): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalEntry(entry)).digest('hex');
}
