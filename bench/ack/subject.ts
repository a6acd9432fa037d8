import { and, count, eq, inArray } from 'drizzle-orm';
import { startApp, type App, type AppMode } from '../../src/app.js';
import { SLACK_EVENTS_PATH } from '../../src/chat/slack/platform.js';
import { loadConfig } from '../../src/config.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import { silentLogger } from '../../src/log.js';
import { FakeSlack } from '../../test/fakes/slack.js';
import { slashCommandBody } from '../../test/fakes/slack-signing.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { deleteKeys, TEST_REDIS_URL } from '../../test/support/services.js';
import { uniquePrefix } from '../../test/support/redis.js';

export const ACK_SIGNING_SECRET = 'bench-signing-secret';
const APPROVALS = { id: 'C0APPROVALS', name: 'lab-approvals' };
const GENERAL = { id: 'C0GENERAL', name: 'general' };
/** A preset that waits for approval: a request writes the plan and its audit entry and enqueues two jobs. */
export const REQUESTED_PRESET = 'soc-platform';

export type AckCommand = 'list' | 'request';

export interface AckSubject {
  app: App;
  url: string;
  /** The bot's database and queue prefix, which the work floor writes to as well (under a prefix of its own). */
  databaseUrl: string;
  queuePrefix: string;
  /** Bodies of `/env <command>` (signed when sent), each from its own user `U<userTag>X<index>`. */
  bodies(command: AckCommand, total: number, userTag: string): string[];
  /** Checks the requests (the bot's or the work floor's) did their work: one `ok` audit entry each, and a pending plan per request. */
  verify(command: AckCommand, userTag: string, total: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole bot (`startApp`) as production runs it over Slack's HTTP mode: Bolt's receiver behind our HTTP server, a
 * database of its own on the machine's Postgres, a queue prefix of its own on the machine's Redis, and the fake Slack
 * as the Web API. `mode` is `all` (`npm start`: web and workers in one process) or `web` (the web half alone).
 */
export async function startAckSubject(mode: AppMode): Promise<AckSubject> {
  const fake = await FakeSlack.start();
  fake.addChannel(APPROVALS);
  fake.addChannel(GENERAL);
  const prefix = uniquePrefix('bench-ack');
  let database: TestDatabase | undefined;
  let app: App | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await app?.stop();
      await database?.drop();
      await deleteKeys(prefix);
      await fake.stop();
    })();
    return stopping;
  };
  try {
    database = await createTestDatabase();
    const config = loadConfig({
      PORT: '0',
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      LOCAL_PROVISIONER_STEP_MS: '0',
      SLACK_API_URL: fake.apiUrl,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: ACK_SIGNING_SECRET,
      SLACK_APPROVALS_CHANNEL: APPROVALS.id,
      ADMINS: 'slack:U0ADMIN',
      APPROVERS: 'slack:U0APPROVER',
    });
    app = await startApp({
      config,
      log: silentLogger,
      databaseUrl: database.url,
      mode,
      host: '127.0.0.1',
      publicUrlFor: (port) => `http://127.0.0.1:${port}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const started = app;
  const db = database.db;
  const userId = (userTag: string, index: number) => `U${userTag}X${index.toString(36).toUpperCase()}`;
  return {
    app: started,
    url: `http://127.0.0.1:${started.port}${SLACK_EVENTS_PATH}`,
    databaseUrl: database.url,
    queuePrefix: prefix,
    bodies(command, total, userTag) {
      return Array.from({ length: total }, (_, index) => {
        const user = userId(userTag, index);
        return slashCommandBody({
          userId: user,
          userName: `bench-${userTag}-${index}`,
          command: '/env',
          text: command === 'list' ? 'list' : `request ${REQUESTED_PRESET}`,
          channelId: GENERAL.id,
          teamId: fake.identity.teamId,
          responseUrl: fake.issueResponseUrl({ userId: user, channelId: GENERAL.id }),
          triggerId: fake.issueTrigger(user),
        });
      });
    },
    async verify(command, userTag, total) {
      const users = Array.from({ length: total }, (_, index) => userId(userTag, index));
      const [audited] = await db
        .select({ value: count() })
        .from(auditLog)
        .where(and(eq(auditLog.eventType, 'command.invoked'), eq(auditLog.outcome, 'ok'), inArray(auditLog.actorId, users)));
      if (audited?.value !== total) throw new Error(`/env ${command}: ${audited?.value ?? 0} of ${total} requests audited as ok`);
      if (command !== 'request') return;
      const [plans] = await db
        .select({ value: count() })
        .from(environments)
        .where(and(eq(environments.state, 'pending_approval'), inArray(environments.ownerId, users)));
      if (plans?.value !== total) throw new Error(`/env request: ${plans?.value ?? 0} of ${total} plans created`);
    },
    stop,
  };
}
