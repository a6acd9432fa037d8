import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/domain/presets.js';
import { startChatStage, type ChatStage, type WorldPlatform } from '../fakes/chat-world.js';
import { builtProject } from '../support/built-project.js';
import { LEVEL, logLinesAtLeast, spawnBuilt, untilReady, type BuiltProcess } from '../support/built-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventCounts } from '../support/labs.js';
import { uniquePrefix } from '../support/redis.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.js';
import { deleteKeys, TEST_REDIS_URL } from '../support/services.js';
import { actionIds, envIdIn, Flow, readable } from '../support/flows.js';

/**
 * A lab's whole journey (request, approval, deploy, reminder and extension, destroy, audit export) on the bot scaled
 * out: two web processes behind a round-robin proxy take the commands and clicks in turn, two worker processes
 * share the jobs, all of the built project, on one Postgres database and one Redis, serving Slack and Mattermost at
 * once. Nothing may happen twice: one approval card, one deploy, one destroy, one of each audit event of the lab,
 * and one audit entry for every command and click.
 */
const SOC_TOOLS = loadCatalog().get('soc-platform').tools.map((tool) => tool.name);

/** The lab's audit entries for the journey below: its request and four clicks, and each lifecycle event once. */
const JOURNEY_EVENTS = {
  'command.invoked': 1,
  'action.clicked': 4,
  'plan.created': 1,
  'plan.approved': 1,
  'deployment.started': 1,
  'deployment.completed': 1,
  'ttl.reminder_sent': 1,
  'ttl.extended': 1,
  'destroy.initiated': 1,
  'destroy.completed': 1,
};

const BOT_SETTINGS: Record<string, string> = {
  MIN_TTL: '1s',
  APPROVAL_TIMEOUT: '1h',
  LOCAL_PROVISIONER_STEP_MS: '20',
  // One reminder, 3 s into a 30 s lab: the journey extends it long before the lab would expire by itself.
  REMINDER_OFFSETS: '27s',
  MAX_ACTIVE_PER_USER: '10',
  PORT: '0',
};

let database: TestDatabase;
let proxy: RoundRobinProxy;
let stages: Record<WorldPlatform, ChatStage>;
let webs: BuiltProcess[] = [];
let workers: BuiltProcess[] = [];
const prefix = uniquePrefix('replicas-journey');

beforeAll(async () => {
  const building = builtProject();
  database = await createTestDatabase();
  proxy = await startRoundRobinProxy();
  const [slack, mattermost] = await Promise.all([startChatStage('slack'), startChatStage('mattermost')]);
  stages = { slack, mattermost };
  const env = {
    ...BOT_SETTINGS,
    ...slack.settings,
    ...mattermost.settings,
    ADMINS: [slack.settings.ADMINS, mattermost.settings.ADMINS].join(','),
    APPROVERS: [slack.settings.APPROVERS, mattermost.settings.APPROVERS].join(','),
    // Button and dialog callbacks come back through the proxy too.
    PUBLIC_URL: proxy.url,
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
  };
  await building;
  webs = [1, 2].map((n) => spawnBuilt('web', env, `web ${n}`));
  workers = [1, 2].map((n) => spawnBuilt('worker', env, `worker ${n}`));
  await Promise.all([...webs, ...workers].map((proc) => untilReady(proc)));
  proxy.setTargets(webs.map((web) => web.url()));
}, 300_000);

afterAll(async () => {
  const exits = await Promise.all([...webs, ...workers].map((proc) => proc.stop()));
  await proxy?.close();
  await Promise.all(Object.values(stages ?? {}).map((stage) => stage.close()));
  await deleteKeys(prefix);
  await database?.drop();
  expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0, 0]);
});

/** Jobs the worker processes logged as completed for a lab, by job id, with the workers that ran each. */
function completedJobs(envId: string): Map<string, string[]> {
  const byJob = new Map<string, string[]>();
  for (const worker of workers) {
    for (const line of worker.lines) {
      if (line.msg !== 'job completed' || line.envId !== envId) continue;
      const jobId = String(line.jobId);
      byJob.set(jobId, [...(byJob.get(jobId) ?? []), worker.name]);
    }
  }
  return byJob;
}

describe.each<WorldPlatform>(['slack', 'mattermost'])('a lab\'s journey on %s across two web and two worker processes', (platform) => {
  let flow: Flow;
  let labId: string;
  /** Requests the proxy had forwarded before this platform's journey. */
  let servedBefore = 0;

  beforeAll(() => {
    const stage = stages[platform];
    flow = new Flow({ platform, driver: stage.driverFor(proxy.url), approvalsChannel: stage.approvalsChannel, dialogsOpenedFor: stage.dialogsOpenedFor }, database.db);
    servedBefore = proxy.served.length;
  });

  it('requests, approves, deploys, reminds, extends and destroys, each once', async () => {
    const { alice, ana } = stages[platform].people;
    const request = await flow.command(alice, '/env request soc-platform --ttl 30s --name replicas');
    labId = envIdIn(request.text);
    const card = await flow.approvalCard(labId);
    await flow.click(ana, card, 'approve');
    await flow.dm(alice, (text) => text.includes(labId) && text.includes('is running'), 'the lab ready');

    const reminder = await flow.dm(alice, (text) => text.includes(labId) && text.includes('expires in'), 'a reminder');
    await flow.click(alice, reminder, 'extend1h');
    await flow.shownTo(alice, (text) => text.includes('Extended') && text.includes('by 1h'), 'the new expiry');

    await flow.click(alice, reminder, 'destroy');
    const confirm = await flow.shownTo(alice, (_text, message) => actionIds(message).includes('destroyConfirm'), 'the destroy confirmation');
    await flow.click(alice, confirm, 'destroyConfirm');
    await flow.dm(alice, (text) => text.includes(labId) && text.includes('was destroyed'), 'the lab destroyed');

    const driver = flow.driver;
    expect(driver.channel(stages[platform].approvalsChannel).filter((message) => message.text.includes(labId)), 'approval cards').toHaveLength(1);
    const dms = driver.dms(alice).map((message) => readable(message.text)).filter((text) => text.includes(labId));
    expect(dms.filter((text) => text.includes('is running')), 'ready DMs').toHaveLength(1);
    expect(dms.filter((text) => text.includes('expires in')), 'reminders').toHaveLength(1);
    expect(dms.filter((text) => text.includes('was destroyed')), 'destroyed DMs').toHaveLength(1);
    const progress = driver.thread(card).map((message) => readable(message.text));
    for (const tool of SOC_TOOLS) expect(progress.filter((text) => text.includes(`${labId}: ${tool} ready`)), tool).toHaveLength(1);
    expect(await eventCounts({ db: database.db }, labId)).toEqual(JOURNEY_EVENTS);

    const jobs = completedJobs(labId);
    expect([...jobs.keys()]).toEqual(expect.arrayContaining([`deploy-${labId}`, `destroy-${labId}`]));
    for (const [jobId, ranBy] of jobs) expect(ranBy, `${jobId} completed by`).toHaveLength(1);
  });

  it('exports the audit log with each of the lab\'s events once', async () => {
    const { adam } = stages[platform].people;
    const started = await flow.command(adam, '/audit export');
    expect(started.text).toContain('Preparing your export');
    const delivered = await flow.driver.waitFor(() => flow.driver.dms(adam).find((message) => message.files.length > 0), 15_000);
    const csv = await stages[platform].fileText(delivered.files[0]!.id);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    const labRows = rows.filter((row) => row.resource_type === 'environment' && row.resource_id === labId);
    const counts: Record<string, number> = {};
    for (const row of labRows) counts[row.event_type!] = (counts[row.event_type!] ?? 0) + 1;
    expect(counts).toEqual(JOURNEY_EVENTS);
  });

  it('took the commands and clicks in turn on both web processes, and audited each once', async () => {
    const mine = proxy.served.slice(servedBefore);
    expect(mine.length).toBe(flow.sentCount);
    expect(mine.map((entry) => entry.status)).toEqual(mine.map(() => 200));
    // In turn: every request went to the other web process than the one before it.
    for (let index = 1; index < mine.length; index += 1) expect(mine[index]!.target).not.toBe(mine[index - 1]!.target);
    expect(new Set(mine.map((entry) => entry.target))).toEqual(new Set([0, 1]));
    expect(await flow.checkAuditTrail()).toBe(flow.sentCount);
    expect(logLinesAtLeast([...webs, ...workers], LEVEL.error)).toEqual([]);
  });
});
