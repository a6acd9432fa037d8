import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeMattermostStore, type FakeUser } from './mattermost-store.js';
import { fail, type RouteResult } from './mattermost-route-kit.js';
import { MATTERMOST_ROUTES } from './mattermost-routes.js';

export { FakeMattermostStore } from './mattermost-store.js';
export type { FakeChannel, FakeDialog, FakePost, FakeUser } from './mattermost-store.js';

/**
 * A fake Mattermost server speaking REST API v4 on 127.0.0.1, for tests and the demo: it checks the bearer token,
 * keeps users, bots, teams, channels, posts, files, commands and dialogs in memory, answers with Mattermost's status
 * codes, error bodies and exactly `Content-Type: application/json` (Client4 parses nothing else), and records every
 * call.
 */

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; for uploads `{channel_id, files: [{name, size}]}`. */
  body: unknown;
  status: number;
  /** The authenticated caller, when the token was valid. */
  userId: string | undefined;
}

export interface FakeMattermostOptions {
  /** Time source for timestamps and trigger expiry (defaults to Date.now). */
  now?: () => number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

export interface FakeMattermostSetup {
  bot: FakeUser;
  botToken: string;
  admin: FakeUser;
  adminToken: string;
  teamId: string;
  teamName: string;
  approvalsChannelId: string;
}

export class FakeMattermost {
  readonly store: FakeMattermostStore;
  readonly calls: RecordedCall[] = [];
  url = '';
  private readonly server: Server;
  private readonly failures: { method: string; path: RegExp; status: number }[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly now: () => number;
  private readonly maxBodyBytes: number;

  private constructor(options: FakeMattermostOptions) {
    this.now = options.now ?? Date.now;
    this.maxBodyBytes = options.maxBodyBytes ?? 50 * 1024 * 1024;
    this.store = new FakeMattermostStore(this.now);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: FakeMattermostOptions = {}): Promise<FakeMattermost> {
    const fake = new FakeMattermost(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /**
   * A ready world: a bot with a token, an admin with a token, a team, and an approvals channel the bot belongs to.
   */
  seed(input: { botUsername?: string; teamName?: string } = {}): FakeMattermostSetup {
    const admin = this.store.addUser({ username: 'sysadmin', admin: true });
    const adminToken = this.store.addToken(admin.id, `admin-${randomUUID()}`).token;
    const bot = this.store.addUser({ username: input.botUsername ?? 'aithroyz', isBot: true });
    const botToken = this.store.addToken(bot.id, `bot-${randomUUID()}`).token;
    const team = this.store.addTeam(input.teamName ?? 'secops');
    team.members.add(bot.id).add(admin.id);
    const approvals = this.store.addChannel({ name: 'lab-approvals', teamId: team.id, members: [bot.id, admin.id] });
    return { bot, botToken, admin, adminToken, teamId: team.id, teamName: team.name, approvalsChannelId: approvals.id };
  }

  /** The next call matching method and path answers `status` with a Mattermost error instead of being served. */
  failNext(method: string, path: RegExp, status: number): void {
    this.failures.push({ method: method.toUpperCase(), path, status });
  }

  /**
   * Resolves with the first truthy value of `check`, re-evaluated after every call the fake serves (and on
   * `changed()`), so tests wait for the bot's asynchronous posts without polling or sleeping.
   */
  waitFor<T>(check: () => T | undefined | null | false, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (!value) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition on the fake Mattermost'}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** Re-checks every `waitFor` (after the state changed outside a served call). */
  changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  callsTo(method: string, path: string | RegExp): RecordedCall[] {
    return this.calls.filter(
      (call) => call.method === method.toUpperCase() && (typeof path === 'string' ? call.path === path : path.test(call.path)),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const call: RecordedCall = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: undefined, status: 0, userId: undefined };
    this.calls.push(call);
    let result: RouteResult;
    try {
      const raw = await readAll(req, this.maxBodyBytes);
      result = await this.serve(req, method, url, raw, call);
    } catch (error) {
      result = fail(400, 'api.context.invalid_body_param.app_error', `Invalid request body: ${(error as Error).message}`);
    }
    call.status = result.status;
    const text = JSON.stringify(result.body);
    res.writeHead(result.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    this.changed();
  }

  private async serve(req: IncomingMessage, method: string, url: URL, raw: Buffer, call: RecordedCall): Promise<RouteResult> {
    const user = this.authenticate(req.headers.authorization);
    if (!user) {
      return fail(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
    }
    call.userId = user.id;
    const failure = this.failures.findIndex((item) => item.method === method && item.path.test(url.pathname));
    if (failure >= 0) {
      const [injected] = this.failures.splice(failure, 1);
      return fail(injected!.status, 'fake.injected_failure', 'Injected failure.');
    }
    const path = url.pathname.replace(/^\/api\/v4/, '');
    for (const route of MATTERMOST_ROUTES) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const body = await parseBody(req.headers['content-type'], raw);
      call.body = body.recorded;
      return route.handle({ store: this.store, user, params: match.groups ?? {}, query: url.searchParams, body: body.value, form: body.form, now: this.now() });
    }
    return fail(404, 'api.context.404.app_error', 'Sorry, we could not find the page.');
  }

  /** Mattermost accepts `Bearer` (Client4 sends `BEARER`) or `Token`, case-insensitively. */
  private authenticate(header: string | undefined): FakeUser | undefined {
    const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header ?? '');
    const token = match ? this.store.tokens.get(match[1]!) : undefined;
    const user = token?.is_active ? this.store.users.get(token.user_id) : undefined;
    return user && user.delete_at === 0 ? user : undefined;
  }
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface ParsedBody {
  value: unknown;
  form: FormData | undefined;
  recorded: unknown;
}

async function parseBody(contentType: string | undefined, raw: Buffer): Promise<ParsedBody> {
  if (raw.length === 0) return { value: undefined, form: undefined, recorded: undefined };
  if ((contentType ?? '').startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType! } }).formData();
    const recorded: Record<string, unknown> = {};
    for (const [name, item] of form.entries()) {
      if (typeof item === 'string') recorded[name] = item;
      else recorded[name] = [...((recorded[name] as unknown[] | undefined) ?? []), { name: item.name, size: item.size }];
    }
    return { value: undefined, form, recorded };
  }
  const value: unknown = JSON.parse(raw.toString('utf8'));
  return { value, form: undefined, recorded: value };
}
