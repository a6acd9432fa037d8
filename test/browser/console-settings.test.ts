import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { members } from '../../src/db/schema/members.js';
import type { ChatWorld } from '../fakes/chat-world.js';
import { FakeSts } from '../fakes/sts.js';
import { launchBrowser, openPage, saveScreenshot } from '../support/browser.js';
import { capturingLogger, everyTableAsText, newCredentialsKey, newPair } from '../support/cloud-keys.js';
import { signInAs, unexpected } from '../support/console-browser.js';
import { openFlowWorld, type FlowWorld } from '../support/flow-world.js';

/**
 * The console's Settings pages in headless Chromium, against the whole bot behind a fake Slack (cloud keys checked
 * against a fake STS, every log line kept): an admin invites someone picked from Slack's user search, changes their
 * role and removes them; adds a cloud key through the masked form, rotates and deletes it; a member creates an API
 * key, sees it once, uses it, and revokes it. Each page is saved as a screenshot.
 */
const ACCOUNT = '123456789012';

describe('the console’s Settings pages in a browser (Slack)', () => {
  let opened: FlowWorld | undefined;
  let world: ChatWorld;
  let browser: Browser;
  let sts: FakeSts;
  const captured = capturingLogger('trace');
  const [first, second] = [newPair(), newPair()];

  beforeAll(async () => {
    sts = await FakeSts.start();
    sts.know({ ...first, account: ACCOUNT });
    sts.know({ ...second, account: ACCOUNT });
    [opened, browser] = await Promise.all([
      openFlowWorld('slack', 'console-settings', {
        settings: { LOG_LEVEL: 'trace', CREDENTIALS_KEY: newCredentialsKey(), CLOUDKEY_VERIFY: 'sts', CLOUDKEY_STS_ENDPOINT: sts.url },
        log: captured.log,
      }),
      launchBrowser(),
    ]);
    world = opened.world;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await opened?.close();
    await sts?.close();
  });

  const db = () => world.app.services.db;
  const consoleEntries = async (eventType: string, resourceId: string) =>
    (await db().select().from(auditLog).where(and(eq(auditLog.eventType, eventType), eq(auditLog.resourceId, resourceId)))).map((row) => ({
      outcome: row.outcome,
      actorId: row.actorId,
      door: row.details.door,
    }));
  const notice = async (page: Page) => (await page.getByRole('status').textContent())?.trim();

  it('invites someone picked from Slack’s user search, changes their role once they accept, and removes them', async () => {
    const { adam } = world.people;
    const zoe = world.driver.user('U0ZOE0001', 'zoe');
    world.driver.user('U0ZORAN01', 'zoran');
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl });
    await signInAs(page, world, adam);
    await page.getByRole('link', { name: 'Team' }).click();
    await page.waitForURL('**/settings/team');

    await page.getByLabel('Name in Slack').fill('zo');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL('**/settings/team?q=zo');
    expect(await page.locator('ul.people li').allTextContents()).toEqual([expect.stringContaining('zoe'), expect.stringContaining('zoran')]);
    await page.getByLabel('Role for zoe').selectOption('approver');
    await saveScreenshot(page, 'console-team-search');
    await page.getByRole('button', { name: 'Invite zoe' }).click();
    await page.waitForURL('**/settings/team?done=invited&who=zoe');
    expect(await notice(page)).toBe('zoe was invited: they answer in a direct message from the bot.');
    expect(await page.locator('table').filter({ hasText: 'Expires' }).locator('tbody tr').allTextContents()).toEqual([expect.stringMatching(/^zoeapproveradam/)]);
    expect(await consoleEntries('member.invited', `slack:${zoe.id}`)).toEqual([{ outcome: 'ok', actorId: adam.id, door: 'console' }]);

    // zoe accepts in Slack, as anyone invited from chat does; the console then lists her as a member.
    const card = await world.driver.waitFor(() => world.driver.dms(zoe).find((message) => message.buttons.some((button) => button.actionId === 'invitationAccept')));
    await world.driver.click(zoe, card, 'invitationAccept');
    await world.driver.waitFor(() => world.driver.dms(adam).find((message) => message.text.includes('accepted your invitation')));
    await page.goto('/settings/team');
    const row = page.locator(`#member-${zoe.id}`);
    expect(await row.getByLabel('Role of zoe').inputValue()).toBe('approver');
    await saveScreenshot(page, 'console-team');

    await row.getByLabel('Role of zoe').selectOption('member');
    await row.getByRole('button', { name: 'Change' }).click();
    await page.waitForURL('**/settings/team?done=role&who=zoe');
    expect(await notice(page)).toBe("zoe's role was changed.");
    const [changed] = await db().select().from(members).where(eq(members.userId, zoe.id));
    expect(changed).toMatchObject({ role: 'member', removedAt: null });

    await page.locator(`#member-${zoe.id}`).getByRole('link', { name: 'Remove…' }).click();
    expect(await page.locator('h1').textContent()).toBe('Remove zoe?');
    await saveScreenshot(page, 'console-team-remove');
    await page.getByRole('button', { name: 'Remove zoe' }).click();
    await page.waitForURL('**/settings/team?done=removed&who=zoe');
    expect(await notice(page)).toBe('zoe was removed from the team.');
    expect(await page.locator(`#member-${zoe.id}`).count()).toBe(0);
    expect(await page.locator('table').filter({ hasText: 'Removed' }).textContent()).toContain('zoe');
    const [removed] = await db().select().from(members).where(eq(members.userId, zoe.id));
    expect(removed!.removedAt).not.toBeNull();
    for (const eventType of ['member.role_changed', 'member.removed']) {
      expect(await consoleEntries(eventType, `slack:${zoe.id}`), eventType).toEqual([{ outcome: 'ok', actorId: adam.id, door: 'console' }]);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('adds a cloud key through the masked form, rotates and deletes it, and no secret reaches a page, a table or a log line', async () => {
    const { adam } = world.people;
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl, allowStatuses: [400] });
    const seen: string[] = [];
    page.on('response', (response) => {
      if (response.headers()['content-type']?.startsWith('text/html')) void response.text().then((html) => seen.push(html), () => undefined);
    });
    await signInAs(page, world, adam);
    await page.getByRole('link', { name: 'Cloud keys' }).click();
    await page.waitForURL('**/settings/cloud-keys');
    expect(await page.getByLabel('Secret access key').getAttribute('type')).toBe('password');

    // A secret that is too short: the form comes back with what to fix, the name kept, the secret and key id not.
    await page.getByLabel('Name').fill('lab-keys');
    await page.getByLabel('Provider').selectOption('aws');
    await page.getByLabel('Access key id').fill(first.accessKeyId);
    await page.getByLabel('Secret access key').fill('too-short-secret');
    await page.getByLabel('Region').fill('eu-west-1');
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#secretAccessKey-problem').textContent()).toContain('40 characters');
    expect(await page.getByLabel('Name').inputValue()).toBe('lab-keys');
    expect(await page.getByLabel('Secret access key').inputValue()).toBe('');
    expect(await page.getByLabel('Access key id').inputValue()).toBe('');
    expect(await page.getByRole('alert').textContent()).toContain('The key was not added. Fix what is marked below.');
    await saveScreenshot(page, 'console-cloud-keys-refused');

    await page.getByLabel('Access key id').fill(first.accessKeyId);
    await page.getByLabel('Secret access key').fill(first.secretAccessKey);
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.waitForURL('**/settings/cloud-keys?done=added&key=lab-keys');
    expect(await notice(page)).toBe('The key lab-keys was added.');
    const key = page.locator('tbody tr').filter({ hasText: 'lab-keys' });
    expect(await key.textContent()).toContain(`…${first.accessKeyId.slice(-4)}`);
    expect(await key.textContent()).toContain(ACCOUNT);
    await saveScreenshot(page, 'console-cloud-keys');

    await key.getByRole('link', { name: 'Rotate…' }).click();
    await page.waitForURL('**/settings/cloud-keys/*/rotate');
    expect(await page.getByLabel('New secret access key').getAttribute('type')).toBe('password');
    await page.getByLabel('New access key id').fill(second.accessKeyId);
    await page.getByLabel('New secret access key').fill(second.secretAccessKey);
    await saveScreenshot(page, 'console-cloud-key-rotate');
    await page.getByRole('button', { name: 'Rotate' }).click();
    await page.waitForURL('**/settings/cloud-keys?done=rotated&key=lab-keys');
    expect(await page.locator('tbody tr').filter({ hasText: 'lab-keys' }).textContent()).toContain(`…${second.accessKeyId.slice(-4)}`);

    await page.locator('tbody tr').filter({ hasText: 'lab-keys' }).getByRole('link', { name: 'Delete…' }).click();
    expect(await page.locator('h1').textContent()).toBe('Delete the key lab-keys?');
    await saveScreenshot(page, 'console-cloud-key-delete');
    await page.getByRole('button', { name: 'Delete lab-keys' }).click();
    await page.waitForURL('**/settings/cloud-keys?done=deleted&key=lab-keys');
    expect(await notice(page)).toBe('The key lab-keys was deleted.');
    expect(await page.locator('main').textContent()).toContain('No cloud keys yet');

    const credentials = await db().select().from(auditLog).where(eq(auditLog.category, 'credentials'));
    expect(credentials.map((row) => `${row.eventType} ${row.outcome} ${String(row.details.door)}`)).toEqual([
      'cloud_key.added invalid console',
      'cloud_key.added ok console',
      'cloud_key.rotated ok console',
      'cloud_key.deleted ok console',
    ]);
    const everywhere = [seen.join('\n'), await everyTableAsText(db()), captured.lines.join('')];
    for (const hidden of [first.secretAccessKey, second.secretAccessKey, first.accessKeyId, second.accessKeyId]) {
      for (const text of everywhere) expect(text.includes(hidden)).toBe(false);
    }
    expect(seen.length).toBeGreaterThan(5);
    expect(unexpected(problems, 400)).toEqual([]);
    await context.close();
  });

  it('creates an API key shown once, which the REST API takes, and revokes it, after which the API refuses it', async () => {
    const { alice } = world.people;
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl });
    await signInAs(page, world, alice);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL('**/settings/api-keys');
    expect(await page.locator('main').textContent()).toContain('No API keys yet.');

    await page.getByLabel('Name').fill('ci-pipeline');
    await page.getByLabel('Scope').selectOption('write');
    await page.getByLabel('Expires in').selectOption('30');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.waitForLoadState();
    expect(await page.locator('h1').textContent()).toBe('Your new key ci-pipeline');
    const key = await page.getByLabel(/^API key \(write, expires/).inputValue();
    expect(key).toMatch(/^aitz_[A-Za-z0-9]{40}$/);
    await saveScreenshot(page, 'console-api-key-created');
    const api = (bearer: string) => fetch(`${world.appUrl}/api/v1/environments`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await api(key)).status).toBe(200);

    // Shown once: the list names it by its prefix only, and reloading the list does not bring the key back.
    await page.getByRole('link', { name: 'Done' }).click();
    await page.waitForURL('**/settings/api-keys');
    const row = page.locator('tbody tr').filter({ hasText: 'ci-pipeline' });
    expect(await row.textContent()).toContain(key.slice(0, 13));
    expect(await page.content()).not.toContain(key);
    await saveScreenshot(page, 'console-api-keys');

    await row.getByRole('link', { name: 'Revoke…' }).click();
    expect(await page.locator('h1').textContent()).toBe('Revoke the key ci-pipeline?');
    await saveScreenshot(page, 'console-api-key-revoke');
    await page.getByRole('button', { name: 'Revoke ci-pipeline' }).click();
    await page.waitForURL('**/settings/api-keys?revoked=ci-pipeline');
    expect(await notice(page)).toBe('The key ci-pipeline was revoked: requests made with it are refused from now on.');
    expect(await page.locator('tbody tr').filter({ hasText: 'ci-pipeline' }).count()).toBe(0);
    expect((await api(key)).status).toBe(401);

    const prefix = key.slice(0, 13);
    for (const eventType of ['api_key.created', 'api_key.revoked']) {
      expect(await consoleEntries(eventType, prefix), eventType).toEqual([{ outcome: 'ok', actorId: alice.id, door: 'console' }]);
    }
    expect(captured.lines.join('')).not.toContain(key);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reads light or dark as the system asks, and the keyboard reaches the page past the header', async () => {
    const { adam } = world.people;
    /** The page's background as red, green and blue, from the computed style. */
    const background = async (page: Page) =>
      ((await page.evaluate('getComputedStyle(document.documentElement).backgroundColor')) as string).match(/\d+/g)!.slice(0, 3).map(Number);
    const brightness = (rgb: number[]) => rgb.reduce((sum, channel) => sum + channel, 0) / 3;
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl, colorScheme });
      await signInAs(page, world, adam);
      await page.goto('/settings/team');
      const shade = brightness(await background(page));
      if (colorScheme === 'dark') expect(shade).toBeLessThan(60);
      else expect(shade).toBeGreaterThan(200);
      await saveScreenshot(page, `console-team-${colorScheme}`);

      // The first Tab reaches the skip link, which takes the keyboard past the header to the page's own controls.
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.id')).toBe('q');
      expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
      await page.keyboard.type('zo');
      await page.keyboard.press('Enter');
      await page.waitForURL('**/settings/team?q=zo');
      expect(problems).toEqual([]);
      await context.close();
    }
  });
});
