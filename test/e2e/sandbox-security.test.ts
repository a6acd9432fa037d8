import { get } from 'node:http';
import { networkInterfaces } from 'node:os';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { ConsoleClient, csrfIn } from '../support/console.js';
import { rawRequest } from '../support/raw-http.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox-app.js';

/**
 * Only this machine reaches the sandbox: a foreign Host (DNS rebinding), a foreign Origin, or a peer that is not on
 * loopback gets a bare 403 and changes nothing; a form without the page's CSRF token is refused; the live stream ends
 * when the server shuts down.
 */
describe('the sandbox answers only this machine', () => {
  let sandbox: SandboxApp;
  let port: number;
  const local = () => `127.0.0.1:${port}`;
  const url = (path: string) => `http://${local()}${path}`;

  beforeAll(async () => {
    // Listening on every interface, so a request can come from a non-loopback address of this machine.
    sandbox = await startSandboxApp({ settings: {}, host: '0.0.0.0' });
    port = sandbox.app.port;
  }, 60_000);

  afterAll(async () => {
    await sandbox?.stop();
  });

  const commandsAudited = async () =>
    (await sandbox.database.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'command.invoked'), eq(auditLog.platform, 'sandbox')))).length;
  const tokenOfPage = async () => {
    const page = await rawRequest(url('/sandbox'), { headers: { host: local() } });
    const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
    expect(token).toBeDefined();
    return token!;
  };
  const typed = (token: string | undefined, headers: Record<string, string> = {}) =>
    rawRequest(url('/sandbox/type'), {
      method: 'POST',
      headers: { host: local(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ as: 'alice', channel: 'general', line: '/env list', ...(token ? { csrf: token } : {}) }).toString(),
    });

  it('serves the page to localhost and 127.0.0.1, and the home page points to it', async () => {
    for (const host of [local(), `localhost:${port}`]) {
      const page = await rawRequest(url('/sandbox'), { headers: { host } });
      expect(page.status, host).toBe(200);
      expect(page.body).toContain('simulated');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    }
    const home = await rawRequest(url('/'), { headers: { host: local() } });
    expect(home.status).toBe(200);
    expect(home.headers['content-type']).toMatch(/^text\/html/);
    expect(home.body).toContain('href="/sandbox"');
  });

  it('gives a foreign Host nothing, on every sandbox route', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `attacker.localhost.evil.example:${port}`]) {
      for (const path of ['/sandbox', '/sandbox/live?as=alice', '/sandbox/events', '/sandbox/sandbox.css', '/sandbox/files/x?as=dave']) {
        const response = await rawRequest(url(path), { headers: { host } });
        expect(response.status, `${host} ${path}`).toBe(403);
        expect(response.body).not.toMatch(/alice|sandbox-page|csrf/);
      }
    }
  });

  it('refuses a state change from a foreign Origin or without the page token, and changes nothing', async () => {
    const token = await tokenOfPage();
    const before = await commandsAudited();
    expect((await typed(token, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await typed(token, { host: 'evil.example' })).status).toBe(403);
    expect((await typed(undefined)).status).toBe(403);
    expect((await typed('forged-token-of-the-same-length-as-the-real')).status).toBe(403);
    expect(await commandsAudited()).toBe(before);
    // The same form with the page's token goes through, and the core audits it as a sandbox command.
    const accepted = await typed(token, { origin: `http://${local()}` });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.location).toBe('/sandbox?as=alice&channel=general');
    expect(await commandsAudited()).toBe(before + 1);
  });

  it('gives a peer that is not on loopback nothing, whatever Host it names', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((candidate) => candidate && candidate.family === 'IPv4' && !candidate.internal)?.address;
    expect(address, 'a non-loopback IPv4 address of this machine to connect from').toBeDefined();
    const response = await rawRequest(`http://${address!}:${port}/sandbox`, { headers: { host: `localhost:${port}` } });
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('simulated');
  });

  /** Opens the live stream; what arrives is collected, and `ended` settles when the server ends it. */
  const stream = (since: string) => {
    const received: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const request = get({ host: '127.0.0.1', port, path: `/sandbox/events?since=${since}`, headers: { host: local() } }, (response) => {
        expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => received.push(chunk));
        response.on('end', resolve);
        response.on('error', reject);
      });
      request.on('error', reject);
    });
    return { text: () => received.join(''), ended };
  };

  it('announces changes on the live stream, and at once those the page missed, then ends it when the server shuts down', { timeout: 60_000 }, async () => {
    const page = await rawRequest(url('/sandbox'), { headers: { host: local() } });
    const seen = /\/sandbox\/events\?since=(\d+)/.exec(page.body)?.[1];
    expect(seen).toBeDefined();
    const current = stream(seen!);
    const behind = stream('0');
    await expect.poll(() => current.text()).toContain('retry:');
    await expect.poll(() => behind.text()).toContain('event: changed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(current.text()).not.toContain('event: changed');
    // A change in the chat is announced on the stream.
    await typed(await tokenOfPage());
    await expect.poll(() => current.text()).toContain('event: changed');
    const started = Date.now();
    await sandbox.app.stop();
    await Promise.all([current.ended, behind.ended]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('the sandbox beside the web console', () => {
  let sandbox: SandboxApp;
  let port: number;

  beforeAll(async () => {
    // On every interface, so a request can also come from a non-loopback address of this machine.
    sandbox = await startSandboxApp({ console: true, host: '0.0.0.0' });
    port = sandbox.app.port;
  }, 60_000);

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('sends a visitor on this machine from / to the sandbox, and the sign-in page points to it', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const home = await rawRequest(`http://127.0.0.1:${port}/`, { headers: { host } });
      expect(home.status, host).toBe(303);
      expect(home.headers.location).toBe('/sandbox');
    }
    const signIn = await rawRequest(`http://127.0.0.1:${port}/sign-in`, { headers: { host: `localhost:${port}` } });
    expect(signIn.status).toBe(200);
    expect(signIn.body).toContain('href="/sandbox"');
  });

  it('sends anyone the sandbox does not answer to sign in, and names no sandbox to them', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((candidate) => candidate && candidate.family === 'IPv4' && !candidate.internal)?.address;
    expect(address, 'a non-loopback IPv4 address of this machine to connect from').toBeDefined();
    const visits = [
      { url: `http://127.0.0.1:${port}`, host: 'chatops.example.com' },
      { url: `http://${address!}:${port}`, host: `localhost:${port}` },
    ];
    for (const visit of visits) {
      const home = await rawRequest(`${visit.url}/`, { headers: { host: visit.host } });
      expect(home.status, visit.url).toBe(303);
      expect(home.headers.location).toBe('/sign-in');
      const signIn = await rawRequest(`${visit.url}/sign-in`, { headers: { host: visit.host } });
      expect(signIn.status).toBe(200);
      expect(signIn.body).not.toContain('/sandbox');
    }
  });

  it('signs in a sandbox person through the link the sandbox DMs them, and / then leads to their labs', async () => {
    const client = new ConsoleClient(sandbox.base);
    const sandboxToken = /name="csrf" value="([^"]+)"/.exec((await client.get('/sandbox')).body)![1]!;
    const typed = await client.post('/sandbox/type', { as: 'dave', channel: 'general', line: '/env console', csrf: sandboxToken });
    expect(typed.status).toBe(303);
    const dm = await client.get('/sandbox?as=dave&channel=dm-dave');
    const path = /http:\/\/127\.0\.0\.1:\d+(\/sign-in\/[A-Za-z0-9_-]+)/.exec(dm.body)?.[1];
    expect(path, 'a sign-in link in dave’s DM').toBeDefined();
    const signedIn = await client.post(path!, { _csrf: csrfIn((await client.get(path!)).body) });
    expect(signedIn.status).toBe(303);
    const home = await client.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/labs');
    const labs = await client.get('/labs');
    expect(labs.status).toBe(200);
    expect(labs.body).toContain('dave');
  });
});

describe('when the sandbox is off or refused', () => {
  it('refuses to start beside the Pulumi provisioner, naming the fix', async () => {
    const config = loadConfig({ PROVISIONER: 'pulumi', PULUMI_CONFIG_PASSPHRASE: 'pw', LAB_ALLOWED_CIDRS: '203.0.113.0/24' });
    const started = startApp({ config, log: silentLogger, databaseUrl: 'postgres://unused@127.0.0.1:1/none', mode: 'all' });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/SANDBOX: .*PROVISIONER=pulumi: configure Slack or Mattermost, or set SANDBOX=off/);
    expect(loadConfig({ PROVISIONER: 'pulumi', PULUMI_CONFIG_PASSPHRASE: 'pw', LAB_ALLOWED_CIDRS: '203.0.113.0/24', SANDBOX: 'off' }).sandboxOn).toBe(false);
  });

  it('serves no sandbox with SANDBOX=off, and the home page says so', { timeout: 60_000 }, async () => {
    const off = await startSandboxApp({ settings: { SANDBOX: 'off' } });
    try {
      const base = `127.0.0.1:${off.app.port}`;
      expect((await rawRequest(`http://${base}/sandbox`, { headers: { host: base } })).status).toBe(404);
      const home = await rawRequest(`http://${base}/`, { headers: { host: base } });
      expect(home.status).toBe(200);
      expect(home.body).not.toContain('/sandbox');
      expect(off.app.platforms).toEqual([]);
    } finally {
      await off.stop();
    }
  });
});
