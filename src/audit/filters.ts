import { AppError } from '../errors.js';
import { AUDIT_EVENTS, isAuditEventType, type AuditCategory, type AuditEventType } from './events.js';

/**
 * What `/audit export` and the console's Audit page select: entries with `from <= occurred_at <= to`, of these types,
 * by this actor, about this resource.
 */
export interface AuditFilters {
  from: Date;
  to: Date;
  /** Event types to include; empty means every type. */
  types: AuditEventType[];
  actorId?: string;
  /** The id of the thing an entry is about (`env-7k2p9q`, a member's user id, an export's file name). */
  resourceId?: string;
  /** The kind of thing an entry is about (`environment`, `api_key`). */
  resourceType?: string;
}

/** The filters as carried in the `audit-export` job payload (timestamps as ISO strings). */
export interface AuditFiltersPayload {
  from: string;
  to: string;
  types: string[];
  actorId?: string;
  resourceId?: string;
  resourceType?: string;
}

/** Every event type of the list, in its order. */
export function allEventTypes(): AuditEventType[] {
  return Object.values(AUDIT_EVENTS).flat();
}

/** One line for the reply and the upload comment: the span, the types (by category when whole) and the actor. */
export function describeFilters(filters: AuditFilters): string {
  const span = `${formatUtc(filters.from)} to ${formatUtc(filters.to)}`;
  const parts = [span, filters.types.length === 0 ? 'all types' : `types: ${describeTypes(filters.types)}`];
  if (filters.actorId !== undefined) parts.push(`actor: ${filters.actorId}`);
  if (filters.resourceId !== undefined || filters.resourceType !== undefined) {
    parts.push(`resource: ${[filters.resourceType, filters.resourceId].filter((part) => part !== undefined).join(' ')}`);
  }
  return parts.join(' · ');
}

/** The category whose events are exactly `types`, if there is one (`/audit export --type team`, the Audit page). */
export function wholeCategoryOf(types: readonly AuditEventType[]): AuditCategory | undefined {
  const selected = new Set<string>(types);
  return (Object.keys(AUDIT_EVENTS) as AuditCategory[]).find((category) => {
    const events: readonly string[] = AUDIT_EVENTS[category];
    return events.length === selected.size && events.every((event) => selected.has(event));
  });
}

function describeTypes(types: readonly AuditEventType[]): string {
  const selected = new Set<string>(types);
  return (Object.keys(AUDIT_EVENTS) as AuditCategory[])
    .flatMap((category) => {
      const events: readonly string[] = AUDIT_EVENTS[category];
      if (events.every((event) => selected.has(event))) return [category];
      return events.filter((event) => selected.has(event));
    })
    .join(', ');
}

/** `2026-11-26 23:59:59.999 UTC`, with the milliseconds only when there are some. */
export function formatUtc(date: Date): string {
  const iso = date.toISOString().replace('T', ' ').replace('Z', '');
  return `${iso.endsWith('.000') ? iso.slice(0, -4) : iso} UTC`;
}

export function filtersToPayload(filters: AuditFilters): AuditFiltersPayload {
  const payload: AuditFiltersPayload = { from: filters.from.toISOString(), to: filters.to.toISOString(), types: [...filters.types] };
  if (filters.actorId !== undefined) payload.actorId = filters.actorId;
  if (filters.resourceId !== undefined) payload.resourceId = filters.resourceId;
  if (filters.resourceType !== undefined) payload.resourceType = filters.resourceType;
  return payload;
}

/** Reads filters back from a job payload; types no longer in the event list are refused rather than silently dropped. */
export function filtersFromPayload(payload: AuditFiltersPayload): AuditFilters {
  const unknown = payload.types.filter((type) => !isAuditEventType(type));
  if (unknown.length > 0) throw new AppError('invalid_filter', `Unknown audit event types in the export request: ${unknown.join(', ')}.`);
  const filters: AuditFilters = { from: new Date(payload.from), to: new Date(payload.to), types: payload.types.filter(isAuditEventType) };
  if (payload.actorId !== undefined) filters.actorId = payload.actorId;
  if (payload.resourceId !== undefined) filters.resourceId = payload.resourceId;
  if (payload.resourceType !== undefined) filters.resourceType = payload.resourceType;
  return filters;
}
