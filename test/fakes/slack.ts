import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../src/clock.js';
import { FAKE_METHODS, JSON_PARAMS, SlackApiError, type FakeIdentity } from './slack-api.js';
import { answerResponseUrl, recordAckReply } from './slack-responses.js';
import { FakeSocketMode } from './slack-socket.js';
import { FakeSlackState, type FakeMessage, type FakeSlackChannel, type FakeSlackUser } from './slack-state.js';
import { receiveUpload } from './slack-upload.js';

export type { FakeMessage, FakeSlackChannel, FakeSlackUser } from './slack-state.js';

/**
 * One request the fake received: Web API calls by method name, and `response_url`, `upload`, `ack` (a command's
 * HTTP answer), `socket.envelope` / `socket.ack` (Socket Mode).
 */
export interface RecordedCall {
  seq: number;
  method: string;
  /** Form fields decoded, JSON fields (`blocks`, `files`, `view`, ...) parsed; the token left out. */
  params: Record<string, unknown>;
  contentType: string;
  /** Where the token came from. */
  auth: 'bearer' | 'body' | 'none';
  at: Date;
  status: number;
  ok: boolean;
  error?: string;
  response: unknown;
}

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  identity?: Partial<FakeIdentity>;
  users?: FakeSlackUser[];
  channels?: FakeSlackChannel[];
  /** Time for trigger ids (3 s) and response_urls (30 min); the system clock by default. */
  clock?: Clock;
  port?: number;
}

const DEFAULT_IDENTITY: FakeIdentity = { teamId: 'T0AITHROYZ', teamName: 'aithroyz', botUserId: 'U0BOT', botId: 'B0BOT', appId: 'A0AITHROYZ' };
const BODY_LIMIT = 5 * 1024 * 1024;

/**
 * A Slack Web API on 127.0.0.1 for tests and the demo: it records every call, checks the bearer token and the form
 * encoding, answers like Slack (HTTP 200 with `ok`), keeps the conversation (channels, DMs, threads, ephemeral
 * replies, edits), serves upload URLs and response_urls (5 uses in 30 minutes), and speaks Socket Mode.
 */
export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly state: FakeSlackState;
  readonly identity: FakeIdentity;
  readonly botToken: string;
  readonly appToken: string;
  readonly socket: FakeSocketMode;
  private readonly changes = new EventEmitter();
  private readonly failures = new Map<string, { error: string; status: number }[]>();
  private seq = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly uploadDir: string,
    options: FakeSlackOptions,
  ) {
    this.identity = { ...DEFAULT_IDENTITY, ...options.identity };
    this.botToken = options.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = options.appToken ?? 'xapp-1-fake-app-token';
    this.state = new FakeSlackState(options.clock ?? systemClock);
    this.socket = new FakeSocketMode(baseUrl.replace(/^http/, 'ws'), this.identity.appId, (method, params) =>
      this.record(method, params, 'application/json', 'none', 200, undefined),
    );
    this.changes.setMaxListeners(0);
    for (const user of options.users ?? []) this.addUser(user);
    for (const channel of options.channels ?? []) this.addChannel(channel);
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(server, `http://127.0.0.1:${port}`, await mkdtemp(join(tmpdir(), 'fake-slack-')), options);
    server.on('request', (req, res) => void fake.route(req, res));
    server.on('upgrade', (req, socket, head: Buffer) => {
      if (!fake.socket.handleUpgrade(req, socket, head)) socket.destroy();
    });
    return fake;
  }

  /** SLACK_API_URL for the bot. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  addUser(user: FakeSlackUser): void {
    this.state.users.set(user.id, user);
  }

  addChannel(channel: FakeSlackChannel): void {
    this.state.channels.set(channel.id, channel);
  }

  /** A trigger id as Slack puts in a command or click: valid once, for 3 seconds. */
  issueTrigger(userId: string): string {
    const id = `${this.state.nextId('')}.${this.identity.teamId}.${Math.random().toString(16).slice(2, 10)}`;
    this.state.triggers.set(id, { userId, issuedAt: this.state.clock.now().getTime(), used: false });
    return id;
  }

  /** A response_url as Slack puts in a command or click: 5 uses within 30 minutes. */
  issueResponseUrl(target: { userId: string; channelId: string; messageTs?: string }): string {
    const id = this.state.nextId('R');
    this.state.responseUrls.set(id, { ...target, issuedAt: this.state.clock.now().getTime(), uses: 0 });
    return `${this.baseUrl}/response/${id}`;
  }

  /** Shows a command's ack body the way Slack does (ephemeral unless `in_channel`). */
  recordAck(userId: string, channelId: string, body: unknown): void {
    const response = recordAckReply(this.state, userId, channelId, body);
    this.record('ack', { userId, channelId, body }, 'application/json', 'none', 200, response);
  }

  /** The next call of `method` fails with Slack's `error` (HTTP 200, or `status` such as 429 / 500); `upload` is a POST to an upload URL. */
  failNext(method: string, error: string, status = 200): void {
    const queue = this.failures.get(method) ?? [];
    queue.push({ error, status });
    this.failures.set(method, queue);
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Resolves with the first truthy result of `check`, re-checked after every recorded call. */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const onChange = () => {
        const result = check();
        if (!result) return;
        cleanup();
        resolve(result);
      };
      const timer = setTimeout(() => {
        cleanup();
        const recent = this.calls.slice(-8).map((call) => `${call.method}${call.ok ? '' : ` (${call.error ?? call.status})`}`);
        reject(new Error(`fake Slack: condition not met within ${timeoutMs} ms; last calls: ${recent.join(', ') || 'none'}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.changes.off('change', onChange);
      };
      this.changes.on('change', onChange);
    });
  }

  /** Messages everyone in the channel sees, oldest first, without thread replies. */
  channelMessages(channelId: string): FakeMessage[] {
    return this.state.messages.filter((m) => m.channel === channelId && !m.deleted && !m.visibleTo && !m.threadTs);
  }

  thread(channelId: string, rootTs: string): FakeMessage[] {
    return this.state.messages.filter((m) => m.channel === channelId && !m.deleted && m.threadTs === rootTs);
  }

  /** Messages in the bot's DM with a user, oldest first. */
  dmMessages(userId: string): FakeMessage[] {
    const channel = this.state.existingDmChannel(userId);
    return channel ? this.state.messages.filter((m) => m.channel === channel && !m.deleted) : [];
  }

  /** Messages only this user sees (command acks, response_url replies, chat.postEphemeral). */
  ephemeralsFor(userId: string): FakeMessage[] {
    return this.state.messages.filter((m) => m.visibleTo === userId && !m.deleted);
  }

  /** The bytes of an uploaded file. */
  async uploadedFile(fileId: string): Promise<Buffer> {
    const upload = this.state.uploads.get(fileId);
    if (!upload?.path) throw new Error(`file ${fileId} was not uploaded`);
    return readFile(upload.path);
  }

  async stop(): Promise<void> {
    await this.socket.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.uploadDir, { recursive: true, force: true });
  }

  private record(method: string, params: Record<string, unknown>, contentType: string, auth: RecordedCall['auth'], status: number, response: unknown): void {
    const body = response as { ok?: unknown; error?: unknown } | undefined;
    this.seq += 1;
    this.calls.push({
      seq: this.seq,
      method,
      params,
      contentType,
      auth,
      at: this.state.clock.now(),
      status,
      ok: status === 200 && body?.ok !== false,
      ...(typeof body?.error === 'string' ? { error: body.error } : {}),
      response,
    });
    this.changes.emit('change');
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    try {
      if (req.method === 'POST' && url.pathname.startsWith('/api/')) return await this.apiCall(req, res, url.pathname.slice(5));
      if (req.method === 'POST' && url.pathname.startsWith('/upload/')) return await this.upload(req, res, url.pathname.slice(8));
      if (req.method === 'POST' && url.pathname.startsWith('/response/')) return await this.responseUrl(req, res, url.pathname.slice(10));
      send(res, 404, { ok: false, error: 'not_found' });
    } catch (error) {
      send(res, 500, { ok: false, error: 'fake_failure', detail: error instanceof Error ? error.message : String(error) });
    }
  }

  private async apiCall(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    const raw = (await readBody(req)).toString('utf8');
    const { params, token, auth, problem } = decodeRequest(contentType, raw, req.headers.authorization);
    const answer = (status: number, body: Record<string, unknown>) => {
      this.record(method, params, contentType, auth, status, body);
      send(res, status, body);
    };
    const injected = this.failures.get(method)?.shift();
    if (injected) return answer(injected.status, { ok: false, error: injected.error });
    if (problem) return answer(200, { ok: false, error: problem });
    const handler = FAKE_METHODS[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method' });
    const tokenError = this.tokenProblem(handler.token, token);
    if (tokenError) return answer(200, { ok: false, error: tokenError });
    try {
      const result = handler.handle({ params, state: this.state, identity: this.identity, baseUrl: this.baseUrl, issueSocketUrl: () => this.socket.issueUrl() });
      answer(200, { ok: true, ...result });
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      answer(200, { ok: false, error: error.error, ...error.extra });
    }
  }

  private tokenProblem(kind: 'bot' | 'app', token: string | undefined): string | undefined {
    if (!token) return 'not_authed';
    const expected = kind === 'bot' ? this.botToken : this.appToken;
    if (token === expected) return undefined;
    const other = kind === 'bot' ? this.appToken : this.botToken;
    return token === other ? 'not_allowed_token_type' : 'invalid_auth';
  }

  private async upload(req: IncomingMessage, res: ServerResponse, fileId: string): Promise<void> {
    const upload = this.state.uploads.get(fileId);
    const contentType = req.headers['content-type'] ?? '';
    if (!upload || upload.path) {
      req.resume();
      this.record('upload', { fileId }, contentType, 'none', 404, undefined);
      res.writeHead(404).end('not found');
      return;
    }
    const injected = this.failures.get('upload')?.shift();
    if (injected) {
      req.resume();
      this.record('upload', { fileId, injected: injected.error }, contentType, 'none', injected.status, undefined);
      res.writeHead(injected.status).end(injected.error);
      return;
    }
    let received;
    try {
      received = await receiveUpload(req, join(this.uploadDir, fileId));
    } catch (error) {
      this.record('upload', { fileId, problem: (error as Error).message }, contentType, 'none', 400, undefined);
      res.writeHead(400).end((error as Error).message);
      return;
    }
    const matches = received.size === upload.length;
    if (matches) Object.assign(upload, { path: received.path, size: received.size });
    const status = matches ? 200 : 400;
    this.record('upload', { fileId, declaredLength: upload.length, ...received }, contentType, 'none', status, undefined);
    res.writeHead(status, { 'Content-Type': 'text/plain' }).end(matches ? `OK - ${received.size}` : 'length does not match files.getUploadURLExternal');
  }

  private async responseUrl(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    const raw = (await readBody(req)).toString('utf8');
    const { status, body, params } = answerResponseUrl(this.state, id, contentType, raw);
    this.record('response_url', { id, ...params }, contentType, 'none', status, body);
    send(res, status, body);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => (size > BODY_LIMIT ? reject(new Error('request body too large')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

interface DecodedRequest {
  params: Record<string, unknown>;
  token: string | undefined;
  auth: RecordedCall['auth'];
  problem?: string;
}

/** Reads a Web API request as Slack does: a form (or JSON) body, objects as JSON strings, the token in a header. */
function decodeRequest(contentType: string, raw: string, authorization: string | undefined): DecodedRequest {
  const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  let params: Record<string, unknown> = {};
  let problem: string | undefined;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    params = Object.fromEntries(new URLSearchParams(raw));
  } else if (mediaType === 'application/json') {
    try {
      params = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      problem = 'invalid_json';
    }
  } else {
    problem = 'invalid_form_data';
  }
  for (const name of JSON_PARAMS) {
    const value = params[name];
    if (typeof value !== 'string') continue;
    try {
      params[name] = JSON.parse(value) as unknown;
    } catch {
      problem ??= name === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments';
    }
  }
  const bodyToken = typeof params.token === 'string' ? params.token : undefined;
  delete params.token;
  const token = bearer ?? bodyToken;
  return { params, token, auth: bearer ? 'bearer' : bodyToken ? 'body' : 'none', ...(problem ? { problem } : {}) };
}
