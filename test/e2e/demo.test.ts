import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/audit/query.js';
import { environments } from '../../src/db/schema/environments.js';
import { runDemo, type DemoResult } from '../../src/demo.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_REDIS_URL } from '../support/redis.js';

/** `npm run demo` in-process: the whole flow runs through the in-memory chat and the transcript shows every step. */
let database: TestDatabase;
let result: DemoResult;
const printed: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  result = await runDemo({ databaseUrl: database.url, redisUrl: TEST_REDIS_URL, write: (line) => printed.push(line) });
}, 60_000);

afterAll(async () => {
  await database?.drop();
});

/** The transcript from the first line that matches `start`: steps are checked in the order they happened. */
function after(start: string, lines: string[] = printed): string[] {
  const index = lines.findIndex((line) => line.includes(start));
  expect(index, `"${start}" in the transcript`).toBeGreaterThanOrEqual(0);
  return lines.slice(index);
}

function expectInOrder(steps: string[]): void {
  let rest = printed;
  for (const step of steps) rest = after(step, rest).slice(1);
}

describe('npm run demo', () => {
  it('prints what it returns, and says what it ran on', () => {
    expect(result.lines).toEqual(printed);
    expect(printed[1]).toMatch(/^The bot runs in this process with a chat of its own in memory \(no Slack or Mattermost\), with Postgres at .+ and Redis at /);
  });

  it('shows the request, the approval card with its buttons and the approval', () => {
    // The requester's answer and the card come in either order: one is the HTTP answer, the other a Web API call.
    const chapter = after('── 1. alice asks for a SOC lab ──');
    const requesting = chapter.slice(0, chapter.findIndex((line) => line.startsWith('── 2.')));
    expect(requesting[1]).toBe('> alice typed: /env request soc-platform --ttl 10s --name demo');
    for (const shown of ['[#lab-approvals]', '  [Approve] [Reject]', '[#general] (only @alice sees this)']) expect(requesting).toContain(shown);
    expect(requesting.some((line) => line.includes(`Requested \`${result.envId}\``))).toBe(true);
    expectInOrder(['── 2. ana approves it', '> ana clicked Approve', '[#lab-approvals] (edited)']);
    expect(printed.join('\n')).toMatch(new RegExp(`Lab request ${result.envId}: SOC Platform \\(demo\\), requested by @alice\\. Approved by @ana at \\d{2}:\\d{2} UTC`));
  });

  it('shows deploy progress per tool in the card thread, and the ready DM', () => {
    const rest = after('> ana clicked Approve');
    for (const tool of ['Elastic Stack (SIEM)', 'Wazuh (XDR)', 'TheHive', 'Shuffle SOAR', 'Grafana + Prometheus']) {
      expect(rest.some((line) => line.startsWith(`      ${result.envId}: ${tool} ready (https://`)), tool).toBe(true);
    }
    expectInOrder(['> ana clicked Approve', '[DM with @alice]', `Your lab ${result.envId} (SOC Platform) is running until`]);
  });

  it('shows the reminder with its buttons, the extension and the refused extension', () => {
    expectInOrder([
      '── 3. Before it expires',
      `Your lab ${result.envId} (SOC Platform) expires in 6s`,
      '[Extend +1h] [Extend +4h] [Destroy]',
      '> alice clicked Extend +1h',
      `Extended \`${result.envId}\``,
      `> alice typed: /env extend ${result.envId} 3d`,
      'would pass its maximum lifetime',
      'You can extend it by up to',
    ]);
  });

  it('shows the destroy confirmation, the destroy and the DM that it is gone', () => {
    expectInOrder(['── 4. alice destroys it ──', '> alice clicked Destroy', '[Destroy now] [Cancel]', '> alice clicked Destroy now', `Destroying \`${result.envId}\``]);
    expectInOrder(['> alice clicked Destroy now', `${result.envId}: Elastic Stack (SIEM) destroyed`, `Your lab ${result.envId} (SOC Platform) was destroyed.`]);
  });

  it('shows the audit export as a CSV file in the admin\'s DM', () => {
    expectInOrder(['── 5. ana exports the audit log ──', '> ana typed: /audit export', 'Preparing your export']);
    expectInOrder(['> ana typed: /audit export', '[DM with @ana]', '📎 audit-']);
    expect(result.exportedRows).toBeGreaterThan(10);
    expect(printed).toContain(`${result.exportFile}: ${result.exportedRows} entries, columns ${CSV_COLUMNS.join(',')}`);
    expect(printed.at(-1)).toBe(`Done: ${result.envId} was requested, approved, deployed, reminded, extended and destroyed, and the audit log exported.`);
  });

  it('ran the real workflows: the lab is destroyed in Postgres', async () => {
    const [env] = await database.db.select().from(environments).where(eq(environments.id, result.envId));
    expect(env).toMatchObject({ state: 'destroyed', ownerName: 'alice', presetId: 'soc-platform' });
  });
});
