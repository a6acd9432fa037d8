import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/audit/query.js';
import { SANDBOX_PATHS } from '../../src/chat/sandbox/page.js';
import { launchBrowser, openPage, saveScreenshot, type OpenPage } from '../support/browser.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox-app.js';

/**
 * The sandbox in headless Chromium, by clicking as a newcomer would: alice requests a lab, carol rejects bob's with a
 * reason typed in the dialog and approves alice's in the approvals channel, the deploy's progress shows up live in the
 * card's thread, alice extends it from the reminder and
 * destroys it after confirming, and dave (an admin) lists the team, exports the audit log and downloads the CSV. Every page load must
 * go without a script error, a refused inline script or style, or a failed request.
 */
describe('the sandbox in a browser', () => {
  let sandbox: SandboxApp;
  let browser: Browser;
  let tab: OpenPage;
  let page: Page;

  beforeAll(async () => {
    sandbox = await startSandboxApp();
    browser = await launchBrowser();
    tab = await openPage(browser, { baseURL: sandbox.base.replace('127.0.0.1', 'localhost'), viewport: { width: 1280, height: 960 } });
    page = tab.page;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  const becomes = async (person: string) => {
    await page.click(`.people a[data-person="${person}"]`);
    await expect.poll(() => page.locator('.people a.current').getAttribute('data-person')).toBe(person);
  };
  const openChannel = async (channel: string) => {
    await page.click(`.channels a[data-channel="${channel}"]`);
    await expect.poll(() => page.locator('.channels a.current').getAttribute('data-channel')).toBe(channel);
  };
  const send = async (line: string) => {
    await page.fill('#composer-line', line);
    await page.click('.composer button[type=submit]');
  };
  /** The message (card or reply) that says all of `words`, as soon as it is shown. */
  const messageSaying = (...words: string[]) => {
    let locator = page.locator('.message');
    for (const word of words) locator = locator.filter({ hasText: word });
    return locator.first();
  };

  /** bob lists his labs from a tab of his own, and the page redraws its conversation because the chat changed. */
  const somethingHappensElsewhere = async () => {
    await page.evaluate(`document.getElementById('live').dataset.drawn = 'before'`);
    const csrf = await page.locator('.composer input[name=csrf]').getAttribute('value');
    const response = await fetch(`${sandbox.base}${SANDBOX_PATHS.type}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ as: 'bob', channel: 'general', csrf: csrf ?? '', line: '/env list' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    await expect.poll(() => page.evaluate(`document.getElementById('live').dataset.drawn ?? 'again'`)).toBe('again');
  };

  it('takes a lab from request to destruction and exports the audit log, all by clicking', { timeout: 120_000 }, async () => {
    await journey().catch(async (error: unknown) => {
      await saveScreenshot(page, 'sandbox-failure', { fullPage: true }).catch(() => undefined);
      throw error;
    });
  });

  async function journey(): Promise<void> {
    await page.goto('/sandbox');
    await expect.poll(() => page.locator('.banner').textContent()).toContain('simulated');
    expect(await page.locator('.people a.current').getAttribute('data-person')).toBe('alice');

    // 1. alice asks for a lab; the answer is only hers.
    await send('/env request soc-platform --ttl 40s --name demo');
    const acknowledgement = messageSaying('Requested');
    await acknowledgement.waitFor();
    expect(await acknowledgement.locator('.only-you').count()).toBe(1);
    const envId = /env-[a-z0-9]{6}/.exec((await acknowledgement.textContent()) ?? '')?.[0];
    expect(envId).toBeDefined();

    // bob, in the same channel, does not see alice's answer; he asks for a lab of his own.
    await becomes('bob');
    expect(await page.locator('.message', { hasText: envId! }).count()).toBe(0);
    await send('/env request soc-platform --name second');
    const bobsEnvId = /env-[a-z0-9]{6}/.exec((await messageSaying('Requested').textContent()) ?? '')?.[0];
    expect(bobsEnvId).toBeDefined();

    // carol rejects bob's request: the dialog asking why is a form in the page.
    await becomes('carol');
    await openChannel('lab-approvals');
    await messageSaying(`Lab request ${bobsEnvId!}`).locator('button', { hasText: 'Reject' }).click();
    const dialog = page.locator('[role=dialog]');
    await expect.poll(() => dialog.locator('h3').textContent()).toBe('Reject the request');
    await dialog.locator('textarea').fill('Use the shared lab this week.');
    // The chat changing meanwhile redraws the conversation, not the dialog: what carol typed stays.
    await somethingHappensElsewhere();
    expect(await dialog.locator('textarea').inputValue()).toBe('Use the shared lab this week.');
    await saveScreenshot(page, 'sandbox-dialog');
    await dialog.locator('button', { hasText: 'Reject' }).click();
    await messageSaying(`Lab request ${bobsEnvId!}`, 'Rejected by @carol', 'Use the shared lab this week.').waitFor();
    expect(await page.locator('[role=dialog]').count()).toBe(0);

    // 2. carol approves alice's in the approvals channel.
    const card = messageSaying(`Lab request ${envId!}`);
    await card.locator('button', { hasText: 'Approve' }).click();

    // 3. The deploy's progress arrives live in the card's thread, without reloading.
    const thread = card.locator('.thread');
    await expect.poll(() => thread.locator('.reply').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => thread.textContent(), { timeout: 30_000 }).toContain(`${envId!} is running`);
    await saveScreenshot(page, 'sandbox');

    // 4. alice is told it runs, is reminded, and extends it from the reminder.
    await becomes('alice');
    await openChannel('dm-alice');
    await messageSaying(envId!, 'is running').waitFor({ timeout: 30_000 });
    const reminder = messageSaying('expires in');
    await reminder.waitFor({ timeout: 30_000 });
    await reminder.locator('button', { hasText: 'Extend +1h' }).click();
    await messageSaying('Extended').waitFor({ timeout: 30_000 });

    // 5. She destroys it, after confirming.
    await messageSaying('expires in').locator('button', { hasText: 'Destroy' }).click();
    await messageSaying('Destroy now').locator('button', { hasText: 'Destroy now' }).click();
    await messageSaying(envId!, 'was destroyed').waitFor({ timeout: 30_000 });

    // 6. dave, an admin, sees the team, exports the audit log and downloads the CSV from his direct messages.
    await becomes('dave');
    await openChannel('general');
    await send('/team list');
    const team = messageSaying('Team', 'carol', 'dave');
    await team.waitFor();
    for (const name of ['alice', 'bob']) expect(await team.textContent()).toContain(name);
    await send('/audit export');
    await openChannel('dm-dave');
    const file = page.locator('a.file').first();
    await file.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), file.click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const rows = parse(await readFile((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
    const about = rows.filter((row) => JSON.stringify(row).includes(envId!));
    const events = about.map((row) => row.event_type);
    for (const event of ['plan.created', 'plan.approved', 'deployment.completed', 'ttl.reminder_sent', 'ttl.extended', 'destroy.completed']) {
      expect(events, event).toContain(event);
    }
    // What people did came through the sandbox door, as the same entries Slack or Mattermost would give.
    const clicks = rows.filter((row) => row.event_type === 'action.clicked');
    expect(clicks.length).toBeGreaterThanOrEqual(4);
    expect(clicks.every((row) => row.platform === 'sandbox')).toBe(true);

    expect(tab.problems).toEqual([]);
  }
});
