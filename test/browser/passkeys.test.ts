import { and, desc, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { passkeys } from '../../src/db/schema/passkeys.js';
import { silentLogger } from '../../src/log.js';
import { startChatWorld, type ChatUser, type ChatWorld } from '../fakes/chat-world.js';
import { addVirtualAuthenticator, launchBrowser, openPage, saveScreenshot } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { uniquePrefix } from '../support/redis.js';
import { deleteKeys, FAST_RETRIES, TEST_REDIS_URL } from '../support/services.js';

/**
 * Passkeys in headless Chromium with its virtual authenticator (the CDP WebAuthn domain): the whole bot on
 * `http://localhost:<port>` (a passkey belongs to a domain name, and localhost is one browsers trust over http), a
 * fake Slack for the sign-in links, and `CONSOLE_ADMIN_MFA=passkey`. Page code is written as strings: the tests'
 * TypeScript has no DOM types.
 */
let database: TestDatabase;
let world: ChatWorld;
let prefix: string;
let browser: Browser;

beforeAll(async () => {
  database = await createTestDatabase();
  prefix = uniquePrefix('passkeys-browser');
  [world, browser] = await Promise.all([
    startChatWorld('slack', {
      databaseUrl: database.url,
      redisUrl: TEST_REDIS_URL,
      queuePrefix: prefix,
      settings: { LOG_LEVEL: 'silent', CONSOLE_ADMIN_MFA: 'passkey' },
      log: silentLogger,
      retries: FAST_RETRIES,
      publicHost: 'localhost',
    }),
    launchBrowser(),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await deleteKeys(prefix, TEST_REDIS_URL);
  await database?.drop();
});

/** Signs `user` in with a link from their Slack DM, in `page`; the console then opens at `landing`. */
async function signInFromChat(page: Page, user: ChatUser, landing: string): Promise<void> {
  const before = world.driver.dms(user).length;
  await world.driver.command(user, '/env console');
  const dm = await world.driver.waitFor(() => world.driver.dms(user).slice(before).find((message) => message.text.includes('/sign-in/')));
  const path = /https?:\/\/[^\s>|)]+(\/sign-in\/[A-Za-z0-9_-]+)/.exec(dm.text)![1]!;
  await page.goto(path);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`**${landing}`);
}

async function addPasskeyNamed(page: Page, name: string): Promise<void> {
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Add passkey' }).click();
}

async function newestEntry(eventType: string) {
  const [row] = await world.app.services.db.select().from(auditLog).where(eq(auditLog.eventType, eventType)).orderBy(desc(auditLog.id)).limit(1);
  return row;
}

/** What went wrong in a page, but the browser's note of a refusal the test asked for. */
function unexpected(problems: string[], status: number): string[] {
  return problems.filter((line) => !line.includes(`status of ${status} `) && !line.includes(`HTTP ${status}:`));
}

describe('a member’s passkey in Chromium', () => {
  it('adds a passkey, signs out, signs in with it, removes it, and is refused with it afterwards', async () => {
    expect(world.appUrl).toMatch(/^http:\/\/localhost:\d+$/);
    const { alice } = world.people;
    const { page, context, problems } = await openPage(browser, { baseURL: world.appUrl, allowStatuses: [403] });
    const authenticator = await addVirtualAuthenticator(context, page);
    await signInFromChat(page, alice, '/labs');

    await page.getByRole('link', { name: 'Security' }).click();
    await page.waitForURL('**/settings/security');
    expect(await page.locator('main').textContent()).toContain('No passkeys yet.');
    await addPasskeyNamed(page, 'Work laptop');
    await page.waitForURL('**/settings/security?added=*');
    expect(await page.getByRole('status').first().textContent()).toContain('The passkey “Work laptop” was added');
    const row = page.locator('tbody tr').first();
    expect(await row.locator('td').nth(0).textContent()).toBe('Work laptop');
    expect(await row.locator('td').nth(2).textContent()).toBe('never');
    await saveScreenshot(page, 'console-security', { fullPage: true });
    const held = await authenticator.credentials();
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    const [stored] = await world.app.services.db.select().from(passkeys);
    expect(stored).toMatchObject({ name: 'Work laptop', userId: alice.id, transports: ['internal'] });

    // Sign out, then back in with the passkey alone.
    await page.getByRole('button', { name: 'Sign out' }).first().click();
    await page.waitForURL('**/sign-in?signed-out');
    await saveScreenshot(page, 'console-sign-in-passkey');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL('**/labs');
    expect(await page.locator('.who').textContent()).toContain('alice');
    const login = await newestEntry('auth.login');
    expect(login).toMatchObject({ outcome: 'ok', actorId: alice.id });
    expect(login?.details).toEqual({ method: 'passkey', door: 'console' });

    // Another browser signed in with a link: the sessions page lists both, and ends the other one.
    const other = await openPage(browser, { baseURL: world.appUrl });
    await signInFromChat(other.page, alice, '/labs');
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.waitForURL('**/settings/sessions');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    const mine = rows.filter({ hasText: 'this session' });
    expect(await mine.locator('td').nth(1).textContent()).toBe('Passkey');
    const theirs = rows.filter({ hasNotText: 'this session' });
    expect(await theirs.locator('td').nth(1).textContent()).toBe('Link from chat');
    expect(await theirs.locator('td').nth(4).textContent()).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    await saveScreenshot(page, 'console-sessions', { fullPage: true });
    await theirs.getByRole('button', { name: /^End session / }).click();
    await page.waitForURL('**/settings/sessions?ended=*');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await other.page.goto('/labs');
    expect(new URL(other.page.url()).pathname).toBe('/sign-in');
    expect(other.problems).toEqual([]);
    await other.context.close();

    // Remove it: a confirmation, then it is gone from the list.
    await page.goto('/settings/security');
    expect(await page.locator('tbody tr').first().locator('td').nth(2).textContent()).not.toBe('never');
    await page.getByRole('link', { name: 'Remove…' }).click();
    await page.getByRole('button', { name: 'Remove Work laptop' }).click();
    await page.waitForURL('**/settings/security?removed=*');
    expect(await page.locator('main').textContent()).toContain('No passkeys yet.');
    expect((await newestEntry('auth.passkey_removed'))?.outcome).toBe('ok');

    // The authenticator still holds it, but the console no longer knows it.
    await page.getByRole('button', { name: 'Sign out' }).first().click();
    await page.waitForURL('**/sign-in?signed-out');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL('**/passkeys/sign-in');
    expect(await page.locator('h1').textContent()).toBe('Not allowed');
    expect(await page.locator('main').textContent()).toContain('not registered with the console');
    await saveScreenshot(page, 'console-passkey-refused');
    const refused = await newestEntry('auth.login');
    expect(refused).toMatchObject({ outcome: 'denied' });
    expect(refused?.details).toMatchObject({ method: 'passkey', reason: 'unknown_passkey' });
    expect(refused?.details).not.toHaveProperty('claimedUserId');
    expect(unexpected(problems, 403)).toEqual([]);
    await context.close();
  });
});

describe('an admin under CONSOLE_ADMIN_MFA=passkey in Chromium', () => {
  it('is stopped until a passkey is added and used, then reaches the admin pages', async () => {
    const { adam } = world.people;
    const { page, context, problems } = await openPage(browser, { baseURL: world.appUrl, allowStatuses: [403] });
    await addVirtualAuthenticator(context, page);
    // Signed in from chat, the admin lands on Security, asked for a passkey first.
    await signInFromChat(page, adam, '/settings/security');
    expect(await page.getByRole('alert').textContent()).toContain('Admins confirm each sign-in with a passkey here');
    await saveScreenshot(page, 'console-admin-add-passkey', { fullPage: true });
    await page.goto('/settings/audit');
    expect(new URL(page.url()).pathname).toBe('/settings/security');

    await addPasskeyNamed(page, 'Admin laptop');
    // Adding it leads to using it.
    await page.waitForURL('**/passkeys/second-factor');
    expect(await page.locator('h1').textContent()).toBe('Confirm with your passkey');
    await saveScreenshot(page, 'console-admin-second-factor');
    await page.goto('/settings/cloud-keys');
    expect(new URL(page.url()).pathname).toBe('/passkeys/second-factor');
    const entriesBefore = await world.app.services.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'auth.mfa_completed')));
    expect(entriesBefore).toEqual([]);

    await page.getByRole('button', { name: 'Use my passkey' }).click();
    await page.waitForURL('**/labs');
    const done = await newestEntry('auth.mfa_completed');
    expect(done).toMatchObject({ outcome: 'ok', actorId: adam.id });
    const audit = await page.goto('/settings/audit');
    expect(audit?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toContain('Audit');
    expect(unexpected(problems, 403)).toEqual([]);
    await context.close();
  });
});
