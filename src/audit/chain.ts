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

/**
 * JSON with object keys sorted at every level (UTF-16 order): the same value always gives the same text, whatever order
 * jsonb hands keys back in. Members whose value is undefined are left out; other values JSON cannot hold become null.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index += 1) text += (index === 0 ? '' : ',') + canonicalJson(value[index]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  let text = '{';
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    text += `${text === '{' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(record[key])}`;
  }
  return `${text}}`;
}

/** The canonical text of an entry: a JSON array of its fields in a fixed order, timestamps as ISO 8601 UTC. */
export function canonicalEntry(entry: ChainedFields): string {
  return `[${JSON.stringify(entry.id)},${canonicalAfterId(entry)}`;
}

/**
 * The canonical text of an entry after its id: `canonicalEntry` is `[<id>,` followed by this. It lets the id be
 * filled in where it is reserved (in the database, by `appendAudit`) without a second way of writing the rest.
 */
export function canonicalAfterId(entry: Omit<ChainedFields, 'id'>): string {
  return canonicalJson([
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
  ]).slice(1);
}

/** SHA-256 over the previous hash and the canonical entry. */
export function chainHash(prevHash: string, entry: ChainedFields): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalEntry(entry)).digest('hex');
}
