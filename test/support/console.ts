import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { apiDoor } from '../../src/api/door.js';
import { consoleDoor } from '../../src/console/door.js';
import type { OidcDiscoveryOptions } from '../../src/console/oidc-client.js';
import type { Actor } from '../../src/domain/actor.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { webAssetsDoor } from '../../src/web/assets.js';
import { sendSignInLink } from '../../workflows/console-sessions.js';
import { createTestServices, TEST_REDIS_URL, type TestServices } from './services.js';

/**
 * The web console on an HTTP server of its own, over test services (Postgres, a Redis queue, a recording notifier for
 * the sign-in DMs), and a client that keeps cookies as a browser does: for HTTP-level tests of the console.
 */
export interface ConsoleHarness {
  t: TestServices;
  server: HttpServer;
  base: string;
  /** Every log line written, at trace level, when the harness was started with `keepLogs`. */
  logLines: string[];
  /** Every route the server has, as Fastify registered it (`/labs/:envId/extend`). */
  routes: { method: string; url: string }[];
  /** A fresh client signed in as `actor` through a link, as a browser would be. */
  signIn(actor: Actor): Promise<ConsoleClient>;
  /** The token of a new sign-in link DMed to `actor`. */
  linkToken(actor: Actor): Promise<string>;
  close(): Promise<void>;
}

export interface ConsoleHarnessOptions {
  settings?: Record<string, string>;
  clock?: Clock;
  signInLimit?: { max: number; windowMs: number };
  /** Serve the REST API beside the console, as the app does. */
  api?: boolean;
  /** Log at trace level into `logLines` (for scans that a secret is never logged). */
  keepLogs?: boolean;
  /** How the console reaches a local OIDC issuer (see `AppOptions.oidcDiscovery`). */
  oidcDiscovery?: OidcDiscoveryOptions;
}

export async function startConsoleHarness(options: ConsoleHarnessOptions = {}): Promise<ConsoleHarness> {
  const t = await createTestServices({
    settings: { PUBLIC_URL: 'http://console.test', ...options.settings },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const redis = new Redis(TEST_REDIS_URL);
  const logLines: string[] = [];
  if (options.keepLogs) t.s.log = createLogger('trace', { write: (line: string) => void logLines.push(line) });
  const server = createHttpServer({ log: options.keepLogs ? t.s.log : silentLogger });
  const routes: { method: string; url: string }[] = [];
  server.app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  server.register(webAssetsDoor());
  if (options.api) server.register(apiDoor({ s: t.s, redis }));
  server.register(
    consoleDoor({
      services: t.s,
      redis,
      ...(options.signInLimit ? { signInLimit: options.signInLimit } : {}),
      ...(options.oidcDiscovery ? { oidcDiscovery: options.oidcDiscovery } : {}),
    }),
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const harness: ConsoleHarness = {
    t,
    server,
    base,
    logLines,
    routes,
    async linkToken(actor) {
      await sendSignInLink(t.s, actor);
      const dm = t.notifier.ofKind('dm').filter((call) => call.userId === actor.user.id).at(-1)!;
      const match = /\/sign-in\/([A-Za-z0-9_-]+)/.exec(dm.view.text);
      expect(match, dm.view.text).not.toBeNull();
      return match![1]!;
    },
    async signIn(actor) {
      const client = new ConsoleClient(base);
      const token = await harness.linkToken(actor);
      const page = await client.get(`/sign-in/${token}`);
      const signedIn = await client.post(`/sign-in/${token}`, { _csrf: csrfIn(page.body) });
      expect(signedIn.status).toBe(303);
      return client;
    },
    async close() {
      await server.close();
      redis.disconnect();
      await t.close();
    },
  };
  return harness;
}

export interface ClientResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** A fetch client with a cookie jar (name → value), following no redirects so tests see them. */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, as sent. */
  readonly setCookies: string[] = [];

  constructor(readonly base: string) {}

  get(path: string, headers: Record<string, string> = {}): Promise<ClientResponse> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<ClientResponse> {
    return this.send('POST', path, new URLSearchParams(form).toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** The CSRF token of the form on the page at `path`. */
  async csrf(path: string): Promise<string> {
    return csrfIn((await this.get(path)).body);
  }

  private async send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<ClientResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      const text = value.join('=');
      if (text === '' || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0\b/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), text);
    }
    return { status: response.status, headers: response.headers, body: await response.text() };
  }
}

/** The CSRF token in a page's first form. */
export function csrfIn(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error(`no CSRF token in the page:\n${page.slice(0, 400)}`);
  return match[1]!;
}
