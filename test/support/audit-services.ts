import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { AuditEventType } from '../../src/audit/events.js';
import type { CommandInvocation } from '../../src/chat/types.js';
import type { Database } from '../../src/db/client.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit.js';
import type { UserRef } from '../../src/domain/users.js';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { handleInvocation } from '../../commands/index.js';
import { tamperWithAuditLog } from './database.js';
import { createTestServices, FAST_SETTINGS, type TestServices } from './services.js';
import { RecordingNotifier } from './recording-notifier.js';

/** A Mattermost admin (26-character id), so alerts and publications reach both platforms. */
export const MM_ADMIN = { platform: 'mattermost', id: 'mmadmin0000000000000000000', name: 'mia' } as const satisfies UserRef;
export const MM_MEMBER = { platform: 'mattermost', id: 'mmmember000000000000000000', name: 'max' } as const satisfies UserRef;

/** Mattermost switched on in the configuration (its notifier is a recording one), with its own admin. */
export const MATTERMOST_SETTINGS: Record<string, string> = {
  MATTERMOST_URL: 'http://mattermost.invalid',
  MATTERMOST_BOT_TOKEN: 'mm-bot-token',
  MATTERMOST_COMMAND_TOKENS: 'mm-command-token',
  MATTERMOST_APPROVALS_CHANNEL: 'mmapprovals',
  PUBLIC_URL: 'http://bot.invalid',
  ADMINS: `${FAST_SETTINGS.ADMINS!},mattermost:${MM_ADMIN.id}`,
};

export interface AuditTestServices extends TestServices {
  mattermost: RecordingNotifier;
}

/** Test services with Slack and Mattermost recording notifiers and the workers running. */
export async function auditServices(settings: Record<string, string> = {}): Promise<AuditTestServices> {
  const t = await createTestServices({ settings: { ...MATTERMOST_SETTINGS, ...settings } });
  const mattermost = new RecordingNotifier('mattermost');
  t.s.notifiers.register(mattermost);
  await t.startWorkers();
  return { ...t, mattermost };
}

/**
 * Audit services for the tests of one file: made before them (handed to `use`), closed after, and before each test an
 * empty audit log and notifiers with nothing recorded.
 */
export function auditTestFile(use: (services: AuditTestServices) => void, settings: Record<string, string> = {}): void {
  let services: AuditTestServices | undefined;
  beforeAll(async () => {
    services = await auditServices(settings);
    use(services);
  });
  afterAll(async () => {
    await services?.close();
  });
  beforeEach(async () => {
    await tamperWithAuditLog(services!.database, 'truncate audit_log restart identity');
    services!.notifier.clear();
    services!.mattermost.clear();
  });
}

/** Runs an `/audit` command as `user` and returns its reply with the command's audit entry. */
export async function runAuditAs(t: AuditTestServices, user: UserRef, text: string, s = t.s) {
  const invocation = auditCommand(user, text);
  const reply = await handleInvocation(s, invocation);
  return { invocation, reply, entry: await commandEntry(t.database, invocation.requestId) };
}

export function auditCommand(user: UserRef, text: string): CommandInvocation {
  return {
    kind: 'command',
    command: 'audit',
    text,
    requestId: randomUUID(),
    platform: user.platform,
    user,
    channelId: 'CADMINS',
    receivedAt: new Date(),
  };
}

export async function entriesOf(database: Database, eventType: AuditEventType): Promise<AuditRow[]> {
  return database.db.select().from(auditLog).where(eq(auditLog.eventType, eventType)).orderBy(asc(auditLog.id));
}

/** The one `command.invoked` entry of a request. */
export async function commandEntry(database: Database, requestId: string): Promise<AuditRow> {
  const rows = await database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.requestId, requestId), eq(auditLog.eventType, 'command.invoked')));
  if (rows.length !== 1) throw new Error(`expected one command.invoked entry for ${requestId}, found ${rows.length}`);
  return rows[0]!;
}
