import type { AuditRow } from '../../src/db/schema/audit.js';
import type { EnvironmentRow } from '../../src/db/schema/environments.js';
import { loadCatalog } from '../../src/domain/presets.js';

export const catalog = loadCatalog();
export const NOW = new Date('2026-11-26T12:00:00.000Z');

export function preset(id: string) {
  const found = catalog.find(id);
  if (!found) throw new Error(`no preset ${id}`);
  return found;
}

/** An environment row with fixed times, in the state asked for; fields can be overridden. */
export function environment(overrides: Partial<EnvironmentRow> = {}): EnvironmentRow {
  return {
    id: 'env-7k2p9q',
    presetId: 'soc-platform',
    name: null,
    platform: 'slack',
    ownerId: 'U0ALICE',
    ownerName: 'alice',
    requestChannelId: 'C0LABS',
    state: 'running',
    ttlSeconds: 8 * 3600,
    requestedAt: new Date('2026-11-26T08:00:00.000Z'),
    approvalDeadline: new Date('2026-11-27T08:00:00.000Z'),
    runningAt: new Date('2026-11-26T09:00:00.000Z'),
    expiresAt: new Date('2026-11-26T17:00:00.000Z'),
    maxExpiresAt: new Date('2026-11-29T09:00:00.000Z'),
    finishedAt: null,
    endpoints: { elastic: 'https://env-7k2p9q.labs.example/elastic', grafana: 'https://env-7k2p9q.labs.example/grafana' },
    approvalCard: null,
    destroyReason: null,
    failureReason: null,
    cloudKeyId: null,
    version: 3,
    updatedAt: new Date('2026-11-26T09:00:00.000Z'),
    ...overrides,
  };
}

export function auditRow(id: number, eventType: string, at: string, overrides: Partial<AuditRow> = {}): AuditRow {
  return {
    id,
    occurredAt: new Date(at),
    category: eventType.startsWith('command.') || eventType.startsWith('action.') ? 'chat' : 'environments',
    eventType,
    actorType: 'user',
    actorId: 'U0ALICE',
    actorName: 'alice',
    platform: 'slack',
    channelId: 'C0LABS',
    resourceType: 'environment',
    resourceId: 'env-7k2p9q',
    outcome: 'ok',
    details: {},
    requestId: `req-${id}`,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    ...overrides,
  };
}
