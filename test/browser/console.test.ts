import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { and, desc, eq, gte, lte } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { silentLogger } from '../../src/log.js';
import type { WorldPlatform } from '../fakes/chat-world.js';
import { launchBrowser, openPage, saveScreenshot } from '../support/browser.js';
import { continueSignIn, signInLink, unexpected } from '../support/console-browser.js';
import { openFlowWorld, type FlowWorld } from '../support/flow-world.js';
import { envIdIn } from '../support/flows.js';
import { waitForState } from '../support/labs.js';

/**
 * The web console in headless Chromium, against the whole bot (`startApp` with its workers) and a fake chat: people
 * ask for a sign-in link in chat, open it from their DM and use the console as a browser does. Page code is written
 * as strings: the tests' TypeScript has no DOM types.
 */
const SETTINGS = { LOG_LEVEL: 'silent', LOCAL_PROVISIONER_STEP_MS: '20', MIN_TTL: '1m' };

/** The bot behind a fake `platform`, on a database and a Redis prefix of its own. */
function startStage(platform: WorldPlatform): Promise<FlowWorld> {
  return openFlowWorld(platform, 'console', { settings: SETTINGS, log: silentLogger });
}

describe.each<WorldPlatform>(['slack', 'mattermost'])('signing in from a %s DM', (platform) => {
  let stage: FlowWorld;
  let browser: Browser;

  beforeAll(async () => {
    [stage, browser] = await Promise.all([startStage(platform), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stage?.close();
  });

  it('opens the link on a Continue page, signs in on Continue, and refuses the link used again, auditing it', async () => {
    const { world } = stage;
    const { alice } = world.people;
    const path = await signInLink(world, alice);
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl, allowStatuses: [403] });
    await page.goto(path);
    expect(await page.locator('h1').textContent()).toBe('Sign in to the console');
    await saveScreenshot(page, `console-sign-in-${platform}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL('**/labs');
    expect(await page.locator('.who').textContent()).toContain('alice');
    const login = await world.app.services.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'auth.login'), eq(auditLog.outcome, 'ok')));
    expect(login.map((row) => [row.actorId, row.platform, row.details.door])).toEqual([[alice.id, platform, 'console']]);

    // The same link again, in another browser: refused, and audited as denied.
    const other = await openPage(browser, { baseURL: world.appUrl, allowStatuses: [403] });
    await other.page.goto(path);
    await other.page.getByRole('button', { name: 'Continue' }).click();
    await other.page.waitForLoadState();
    expect(await other.page.locator('h1').textContent()).toBe('Not allowed');
    expect(await other.page.locator('main').textContent()).toContain('used already');
    await saveScreenshot(other.page, `console-link-reused-${platform}`);
    const [denied] = await world.app.services.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'auth.login'), eq(auditLog.outcome, 'denied')));
    expect(denied!.details).toMatchObject({ reason: 'used', claimedUserId: alice.id, door: 'console' });
    expect(await other.page.context().cookies()).not.toContainEqual(expect.objectContaining({ name: 'aitz_console' }));
    expect(problems).toEqual([]);
    expect(unexpected(other.problems, 403)).toEqual([]);
    await other.context.close();
    await context.close();
  });
});

describe('the console in a browser (Slack)', () => {
  let stage: FlowWorld;
  let browser: Browser;
  const week = { from: '2026-02-02', to: '2026-02-08' };

  beforeAll(async () => {
    [stage, browser] = await Promise.all([startStage('slack'), launchBrowser()]);
    // A week of history to filter: 400 entries, one every 45 minutes from 2026-02-01, of several kinds.
    const types = ['plan.created', 'deployment.completed', 'ttl.extended', 'command.invoked', 'member.role_changed'] as const;
    const start = new Date('2026-02-01T00:00:00.000Z').getTime();
    await appendAuditBatch(
      stage.world.app.services.db,
      stage.world.app.services.clock,
      Array.from({ length: 400 }, (_, index) => ({
        eventType: types[index % types.length]!,
        actor: { type: 'user' as const, id: `U0PERSON${index % 3}`, name: ['alice', 'bob', 'carol'][index % 3]! },
        platform: 'slack' as const,
        resource: { type: 'environment', id: `env-${(index % 9).toString().padStart(6, 'a')}` },
        outcome: index % 17 === 0 ? ('denied' as const) : ('ok' as const),
        details: { index },
        occurredAt: new Date(start + index * 45 * 60_000),
      })),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await stage?.close();
  });

  it('filters the Audit page by a date range and an event type: the table and Export CSV match a direct query', async () => {
    const { world } = stage;
    const { adam } = world.people;
    // The chain checked from chat first: the page shows the check's result beside the head.
    const before = world.driver.dms(adam).length;
    await world.driver.command(adam, '/audit verify');
    await world.driver.waitFor(() => world.driver.dms(adam).slice(before).find((message) => message.text.startsWith('Audit log intact')), 20_000);
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl });
    await continueSignIn(page, await signInLink(world, adam));
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL('**/settings/audit');
    expect(await page.locator('h1').textContent()).toBe('Audit log');
    const chain = page.getByRole('region', { name: 'Chain state' });
    expect(await chain.locator('.badge').textContent()).toBe('intact');
    expect(await chain.textContent()).toMatch(/\d+ entries checked/);

    await page.getByLabel('From (UTC day)').fill(week.from);
    await page.getByLabel('To (UTC day, inclusive)').fill(week.to);
    await page.getByLabel('Event type').selectOption('environments');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // htmx swaps the results in place and puts the filters in the address.
    await page.waitForURL((url) => url.searchParams.get('type') === 'environments');
    expect(await page.evaluate('window.htmx !== undefined')).toBe(true);

    const expected = await world.app.services.db
      .select()
      .from(auditLog)
      .where(
        and(
          gte(auditLog.occurredAt, new Date(`${week.from}T00:00:00.000Z`)),
          lte(auditLog.occurredAt, new Date(`${week.to}T23:59:59.999Z`)),
          eq(auditLog.category, 'environments'),
        ),
      )
      .orderBy(desc(auditLog.occurredAt), desc(auditLog.id));
    expect(expected.length).toBeGreaterThan(50);
    const shown = async () =>
      (await page.evaluate(`Array.from(document.querySelectorAll('#audit-results tbody tr')).map((row) => Number(row.dataset.entryId))`)) as number[];
    expect(await shown()).toEqual(expected.slice(0, 50).map((row) => row.id));
    await saveScreenshot(page, 'console-audit', { fullPage: false });

    // The next page follows on where the first ended.
    await page.getByRole('link', { name: 'Older entries →' }).click();
    await expect.poll(shown).toEqual(expected.slice(50, 100).map((row) => row.id));

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]);
    expect(download.suggestedFilename()).toBe(`audit-${week.from}-to-${week.to}.csv`);
    const rows = parse(await readFile((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => Number(row.id))).toEqual(expected.map((row) => row.id).reverse());
    expect(rows.every((row) => row.category === 'environments')).toBe(true);

    // An entry's full details.
    await page.locator('#audit-results tbody tr a').first().click();
    await page.waitForURL('**/settings/audit/entries/*');
    expect(await page.locator('main').textContent()).toContain('Previous hash');
    await saveScreenshot(page, 'console-audit-entry');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('extends a lab from the Labs page, and asks before destroying one', async () => {
    const { world } = stage;
    const { alice } = world.people;
    const request = await world.driver.command(alice, '/env request quick-sandbox --ttl 1h --name "Phishing triage"');
    const envId = envIdIn(request.reply?.text);
    await waitForState(world.app.services, envId, 'running');
    const before = (await getEnvironment(world.app.services, envId)).expiresAt!;

    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl });
    await continueSignIn(page, await signInLink(world, alice));
    const row = page.locator(`#lab-${envId}`);
    expect(await row.textContent()).toContain('Phishing triage');
    expect(await row.textContent()).toContain('running');
    await row.getByLabel(`Extend ${envId} by`).selectOption('2h');
    await saveScreenshot(page, 'console-labs');
    await row.getByRole('button', { name: 'Extend' }).click();
    await page.waitForURL(`**/labs?done=extended&env=${envId}`);
    expect(await page.getByRole('status').textContent()).toContain(`${envId} was extended.`);
    expect((await getEnvironment(world.app.services, envId)).expiresAt!.getTime() - before.getTime()).toBe(2 * 3600_000);
    const [extended] = await world.app.services.db.select().from(auditLog).where(and(eq(auditLog.resourceId, envId), eq(auditLog.eventType, 'ttl.extended')));
    expect(extended).toMatchObject({ actorId: alice.id, platform: 'slack' });
    expect(extended!.details).toMatchObject({ door: 'console', by_seconds: 7200 });

    await page.locator(`#lab-${envId}`).getByRole('link', { name: 'Destroy…' }).click();
    expect(await page.locator('h1').textContent()).toBe(`Destroy ${envId}?`);
    await saveScreenshot(page, 'console-destroy-confirm');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL('**/labs');
    expect((await getEnvironment(world.app.services, envId)).state).toBe('running');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('gives a member 403 on the Audit page, and refuses a POST without the CSRF token', async () => {
    const { world } = stage;
    const { bob } = world.people;
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl, allowStatuses: [403] });
    await continueSignIn(page, await signInLink(world, bob));
    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    const response = await page.goto('/settings/audit');
    expect(response?.status()).toBe(403);
    expect(await page.locator('main').textContent()).toContain('Only admins can read the audit log.');
    await saveScreenshot(page, 'console-audit-forbidden');

    // The browser's own cookies, a form without the token: refused, and the session is still open.
    const forged = await context.request.post(`${world.appUrl}/sign-out`, { form: { everywhere: '1' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('did not come from this console');
    const labs = await page.goto('/labs');
    expect(labs?.status()).toBe(200);
    await page.goto('/settings/sessions');
    await saveScreenshot(page, 'console-sessions-sign-out-everywhere');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL('**/sign-in?signed-out');
    expect(await page.locator('h1').textContent()).toBe('Signed out');
    await saveScreenshot(page, 'console-signed-out');
    expect(unexpected(problems, 403)).toEqual([]);
    await context.close();
  });
});
