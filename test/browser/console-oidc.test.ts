import { and, eq } from 'drizzle-orm';
import { allowInsecureRequests } from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { consoleSessions } from '../../src/db/schema/console.js';
import { silentLogger } from '../../src/log.js';
import { launchBrowser, openPage, saveScreenshot } from '../support/browser.js';
import { openFlowWorld, type FlowWorld } from '../support/flow-world.js';
import { OIDC_CLIENT, OIDC_SETTINGS } from '../support/oidc-flow.js';
import { TestIssuer } from '../support/oidc-issuer.js';

/**
 * Signing in to the console with an OpenID Connect issuer in headless Chromium, against the whole bot behind a fake
 * Slack and a real issuer (oidc-provider) on this machine: the button on the sign-in page, the issuer's own sign-in
 * page, and back to the console signed in as the Slack account of the verified email. Refusals are tested over HTTP
 * in test/integration/console-oidc.test.ts.
 */
describe('signing in with an OpenID Connect issuer in a browser', () => {
  let issuer: TestIssuer;
  let stage: FlowWorld;
  let browser: Browser;

  beforeAll(async () => {
    issuer = await TestIssuer.listen();
    [stage, browser] = await Promise.all([
      openFlowWorld('slack', 'console-oidc', {
        settings: { LOG_LEVEL: 'silent', ...OIDC_SETTINGS(issuer.url), OIDC_NAME: 'Acme SSO', OIDC_ALLOWED_DOMAINS: 'example.test' },
        log: silentLogger,
        oidcDiscovery: { execute: [allowInsecureRequests] },
      }),
      launchBrowser(),
    ]);
    // The issuer knows the console's redirect URI once the bot listens.
    await issuer.serve([{ ...OIDC_CLIENT, redirectUri: `${stage.world.appUrl}/sign-in/oidc/callback` }]);
    issuer.addAccount({ email: 'alice@example.test', emailVerified: true, name: 'Alice' });
    issuer.addAccount({ email: 'nobody@example.test', emailVerified: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stage?.close();
    await issuer?.close();
  });

  it('shows the issuer’s button, signs in at the issuer and comes back signed in as the Slack account of the email', async () => {
    const { world } = stage;
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl });
    await page.goto('/sign-in');
    const button = page.getByRole('link', { name: 'Sign in with Acme SSO' });
    expect(await button.isVisible()).toBe(true);
    await saveScreenshot(page, 'console-sign-in-oidc');
    await button.click();
    await page.waitForURL(`${issuer.url}/interaction/**`);
    await page.getByLabel('Email').fill('alice@example.test');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/labs');
    expect(await page.locator('.who').textContent()).toContain('alice');
    const [login] = await world.app.services.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'auth.login'), eq(auditLog.outcome, 'ok')));
    expect(login).toMatchObject({ actorId: world.people.alice.id, platform: 'slack' });
    expect(login!.details).toMatchObject({ method: 'oidc', email: 'alice@example.test', door: 'console' });
    const [session] = await world.app.services.db.select().from(consoleSessions);
    expect(session).toMatchObject({ method: 'oidc', userId: world.people.alice.id });
    const cookies = await context.cookies(world.appUrl);
    expect(cookies.find((cookie) => cookie.name === 'aitz_console')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(cookies.some((cookie) => cookie.name === 'aitz_oidc')).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('comes back to a refusal page, signed out, when no chat account has the email', async () => {
    const { world } = stage;
    const { page, problems, context } = await openPage(browser, { baseURL: world.appUrl, allowStatuses: [403] });
    await page.goto('/sign-in');
    await page.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
    await page.waitForURL(`${issuer.url}/interaction/**`);
    await page.getByLabel('Email').fill('nobody@example.test');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/sign-in/oidc/callback?**');
    expect(await page.locator('h1').textContent()).toBe('Not allowed');
    expect(await page.locator('main').textContent()).toContain('No chat account of this workspace has your email address');
    await saveScreenshot(page, 'console-sign-in-oidc-refused');
    expect((await context.cookies(world.appUrl)).some((cookie) => cookie.name === 'aitz_console')).toBe(false);
    expect(problems.filter((line) => !line.includes('status of 403'))).toEqual([]);
    await context.close();
  });
});
