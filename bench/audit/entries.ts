import type { Clock } from '../../src/clock.js';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import type { AuditEventType } from '../../src/audit/events.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import type { Db } from '../../src/db/client.js';

/** Where the loaded entries start; one entry a second from here, far from the entries the append cases write now. */
export const LOADED_FROM = new Date('2025-01-01T00:00:00.000Z');

const EVENTS: readonly AuditEventType[] = [
  'command.invoked', 'command.invoked', 'command.invoked', 'action.clicked', 'action.clicked',
  'plan.created', 'plan.approved', 'deployment.started', 'deployment.completed', 'ttl.reminder_sent',
  'ttl.extended', 'destroy.initiated', 'destroy.completed', 'member.role_changed', 'audit.exported',
];
const NAMES = ['alice', 'bob', 'Carol Østergaard', 'dave "the admin"', '=HYPERLINK("http://x")', 'erin, ops', '@mallory', '李雷'];

/**
 * An entry shaped like the real log: mostly commands and clicks, some lab events, details as the workflows write them,
 * and a share of cells that need quoting (commas, quotes, line breaks) or neutralising (formulas).
 */
export function benchEntry(index: number): AuditEntryInput {
  const eventType = EVENTS[index % EVENTS.length]!;
  const user = index % 97;
  const envId = `env-${(index % 46_656).toString(36).padStart(6, '0')}`;
  return {
    eventType,
    actor: { type: eventType.startsWith('deployment') || eventType.startsWith('ttl') ? 'system' : 'user', id: `U0${user.toString(36).toUpperCase().padStart(6, '0')}`, name: NAMES[user % NAMES.length]! },
    platform: index % 4 === 0 ? 'mattermost' : 'slack',
    channelId: `C0${(index % 13).toString().padStart(8, '0')}`,
    resource: eventType.startsWith('command') ? null : { type: 'environment', id: envId },
    outcome: index % 29 === 0 ? 'denied' : index % 31 === 0 ? 'invalid' : 'ok',
    details:
      eventType === 'command.invoked'
        ? { command: 'env', text: index % 11 === 0 ? `request soc-platform --name "Q3, \\"red\\" team"\n-2+3` : `status ${envId}`, subcommand: 'status' }
        : { preset: 'threat-hunting', ttl_seconds: 28_800, tools: ['elastic', 'caldera', 'opencti', 'velociraptor'], attempt: 1 },
    requestId: `0f8e${index.toString(16).padStart(8, '0')}-5c1d-4a2b-9e3f-12ab34cd56ef`,
    occurredAt: new Date(LOADED_FROM.getTime() + index * 1000),
  };
}

/** Loads `count` chained entries through `appendAuditBatch`, a slice at a time so the inputs never sit in memory whole. */
export async function loadEntries(db: Db, clock: Clock, count: number, slice = 50_000): Promise<void> {
  for (let offset = 0; offset < count; offset += slice) {
    const size = Math.min(slice, count - offset);
    await appendAuditBatch(db, clock, Array.from({ length: size }, (_, index) => benchEntry(offset + index)));
  }
}

/** The span that holds exactly the loaded entries. */
export function loadedSpan(count: number): { from: Date; to: Date } {
  return { from: LOADED_FROM, to: new Date(LOADED_FROM.getTime() + (count - 1) * 1000) };
}
