import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleInvocation, recordRejectedRequest } from '../../commands/index.js';
import { startApp, type App } from '../../src/app.js';
import type { Reply } from '../../src/chat/types.js';
import { loadConfig } from '../../src/config.js';
import { environments } from '../../src/db/schema/environments.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.js';
import type { UserRef } from '../../src/domain/users.js';
import { silentLogger } from '../../src/log.js';
import { startSlackHarness, type SlackHarness } from '../fakes/slack-harness.js';
import { postSigned, slashCommandBody } from '../fakes/slack-signing.js';
import { commandInvocation } from '../support/invocations.js';
import { EVENT_OF_STATE, auditTrail, eventCounts, simulatedTools, waitForState } from '../support/labs.js';
import { deleteKeys, eventually, FAST_SETTINGS, FAST_RETRIES, TEST_REDIS_URL, USERS } from '../support/services.js';

/**
 * A private PostgreSQL stopped while commands are being handled and a lab is deploying, then started again on the same
 * port and data: users are told to try again (never a crash), nothing is half-written, and work resumes.
 */
let root: string;
let postgres: EmbeddedPostgres;
let app: App;
let slack: SlackHarness;
const prefix = `t${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aitz-chaos-pg-'));
  // The postgres OS user (when tests run as root) must be able to enter the folder.
  await chmod(root, 0o755);
  postgres = await startEmbeddedPostgres(join(root, 'data'), silentLogger, { port: 0 });
  const config = loadConfig({
    ...FAST_SETTINGS,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    RECONCILE_INTERVAL: '1s',
    LOCAL_PROVISIONER_STEP_MS: '300',
    MAX_ACTIVE_PER_USER: '50',
    SHUTDOWN_TIMEOUT: '2s',
  });
  app = await startApp({ config, log: silentLogger, databaseUrl: postgres.url, mode: 'worker', retries: FAST_RETRIES });
  // The Slack endpoint over the same services, to see what a user gets through HTTP while Postgres is down.
  slack = await startSlackHarness({
    mode: 'http',
    fake: { users: [USERS.alice] },
    deps: () => ({
      log: silentLogger,
      clock: app.services.clock,
      retryConfig: { retries: 0 },
      handle: (invocation) => handleInvocation(app.services, invocation),
      recordRejected: (request) => recordRejectedRequest(app.services, request),
    }),
  });
});
afterAll(async () => {
  await slack?.close();
  await app?.stop();
  await postgres?.stop();
  await deleteKeys(prefix);
  await rm(root, { recursive: true, force: true });
});

const command = (user: UserRef, text: string): Promise<Reply> => handleInvocation(app.services, commandInvocation(user, text));
const isTryAgain = (reply: Reply) => reply.outcome === 'error' && /temporarily unavailable/i.test(reply.view.text) && /try again/i.test(reply.view.text);
const envIdIn = (reply: Reply) => /env-[a-z0-9]{6}/.exec(reply.view.text)?.[0];

/** What users type while Postgres goes away: reads and writes. */
const TEXTS = (envId: string) => ['request quick-sandbox', 'list', `status ${envId}`, 'request quick-sandbox --ttl 1h'];

/** Sends commands in three lanes before, during and after `fault`; resolves with every command and its answer. */
async function commandsAround(fault: () => Promise<void>, envId: string): Promise<{ text: string; reply: Reply }[]> {
  // These users may all see the lab of `status`.
  const users: UserRef[] = [USERS.alice, USERS.approver, USERS.admin];
  const texts = TEXTS(envId);
  let stopped = false;
  const answered: { text: string; reply: Reply }[] = [];
  const lanes = users.map(async (user, lane) => {
    for (let index = lane; !stopped; index += 1) {
      const text = texts[index % texts.length]!;
      answered.push({ text, reply: await command(user, text) });
    }
  });
  await eventually(async () => (answered.length >= 6 ? true : undefined), 10_000, 'commands before the fault');
  await fault();
  const answeredAtFault = answered.length;
  await eventually(async () => (answered.length >= answeredAtFault + 6 ? true : undefined), 10_000, 'commands after the fault');
  stopped = true;
  await Promise.all(lanes);
  return answered;
}

/** `/env list` by alice as a signed request to the Slack endpoint. */
function listOverSlack() {
  const body = slashCommandBody({
    userId: USERS.alice.id,
    userName: USERS.alice.name,
    command: '/env',
    text: 'list',
    channelId: 'C0GENERAL',
    teamId: slack.fake.identity.teamId,
    responseUrl: slack.fake.issueResponseUrl({ userId: USERS.alice.id, channelId: 'C0GENERAL' }),
    triggerId: slack.fake.issueTrigger(USERS.alice.id),
  });
  return postSigned(slack.eventsUrl, body, { secret: slack.config.signingSecret });
}

describe('Postgres stopped and started again while commands are handled', () => {
  it('answers "temporarily unavailable, try again", writes nothing half-way, and works again once Postgres is back', async () => {
    const s = app.services;
    const first = await command(USERS.alice, 'request quick-sandbox');
    expect(first.outcome).toBe('ok');
    const deploying = envIdIn(first)!;
    await eventually(async () => ((await simulatedTools(s, deploying)).length >= 1 ? true : undefined), 10_000, 'the lab mid-deploy');

    // Commands keep arriving while Postgres shuts down: some finish before, some are cut mid-transaction, some find
    // it gone. Each is answered.
    const answered = await commandsAround(() => postgres.stop(), deploying);
    const during = answered.map((entry) => entry.reply);
    for (const reply of during) expect(reply.outcome === 'ok' || isTryAgain(reply), reply.view.text).toBe(true);
    expect(during.some((reply) => reply.outcome === 'ok')).toBe(true);
    expect(during.some(isTryAgain)).toBe(true);

    // With Postgres down, every command that needs it says so.
    const down = await Promise.all([...TEXTS(deploying), `extend ${deploying} 1h`, `destroy ${deploying}`].map((text) => command(USERS.alice, text)));
    for (const reply of down) {
      expect(isTryAgain(reply), reply.view.text).toBe(true);
      expect(reply.view.text).not.toMatch(/something went wrong/i);
    }

    // Through the HTTP endpoint too: an answer saying so, not a 5xx.
    const overHttp = await listOverSlack();
    expect(overHttp.status).toBe(200);
    expect(String(overHttp.json?.text)).toMatch(/temporarily unavailable[\s\S]*try again/i);

    postgres = await startEmbeddedPostgres(postgres.dataDir, silentLogger, { port: postgres.port });

    // Commands work again, and the lab caught mid-deploy finishes once.
    const after = await eventually(async () => {
      const reply = await command(USERS.bob, 'request quick-sandbox');
      return reply.outcome === 'ok' ? reply : undefined;
    }, 15_000, 'a command to succeed');
    await waitForState(s, envIdIn(after)!, 'running');
    await waitForState(s, deploying, 'running');
    expect(await simulatedTools(s, deploying)).toEqual(['code-server', 'portainer', 'uptime-kuma']);
    expect(await eventCounts(s, deploying)).toMatchObject({ 'deployment.started': 1, 'deployment.completed': 1 });

    // Nothing half-written: the labs are exactly those whose request was answered "ok", and each has the audit
    // event of its state.
    const labs = await s.db.select().from(environments);
    const requestedOk = answered.filter(({ text, reply }) => text.startsWith('request') && reply.outcome === 'ok').map(({ reply }) => envIdIn(reply));
    expect(labs.map((lab) => lab.id).sort()).toEqual([deploying, envIdIn(after), ...requestedOk].sort());
    for (const lab of labs) expect(await auditTrail(s, lab.id), `${lab.id} (${lab.state})`).toContain(EVENT_OF_STATE[lab.state]);

    // No connection was kept by a request that failed mid-transaction: once every lab has settled, the pool is idle.
    for (const lab of labs) await waitForState(s, lab.id, 'running');
    const pool = app.database.pool;
    await eventually(async () => (pool.idleCount === pool.totalCount ? true : undefined), 5000, 'every pooled connection to be idle');
  });
});
