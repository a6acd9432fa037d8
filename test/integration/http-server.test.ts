import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createHttpServer, readBody, sendJson, type HttpServer, type RequestObserver } from '../../src/http/server.js';

interface Observed {
  labels: Parameters<RequestObserver>[0];
  seconds: number;
}

function setup() {
  const lines: string[] = [];
  const observed: Observed[] = [];
  const log = createLogger('debug', { write: (line: string) => void lines.push(line) });
  const http = createHttpServer({ log, observeRequest: (labels, seconds) => observed.push({ labels, seconds }) });
  return { http, lines, observed };
}

let current: HttpServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function listening(http: HttpServer): Promise<string> {
  current = http;
  const { port } = await http.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

/** Sends a body in chunks without Content-Length (chunked transfer), as a streaming client would. */
function postChunked(base: string, path: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST' }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
    });
    // The server may answer 413 and close before every chunk is sent.
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('createHttpServer', () => {
  it('answers an unknown route with a 404 JSON body, typed exactly application/json', async () => {
    const { http, observed } = setup();
    const base = await listening(http);
    const response = await fetch(`${base}/nowhere?x=1`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { error: string; message: string; requestId: string };
    expect(body.error).toBe('not_found');
    expect(body.message).toBe('No route for GET /nowhere');
    expect(body.requestId).toBe(response.headers.get('x-request-id'));
    expect(observed.map((entry) => entry.labels)).toEqual([{ method: 'GET', route: 'unmatched', status: 404 }]);
  });

  it('refuses a method the route does not take with 405 and the allowed methods', async () => {
    const { http } = setup();
    http.route('POST', '/slack/events', (_req, res) => sendJson(res, 200, {}));
    const base = await listening(http);
    const response = await fetch(`${base}/slack/events`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(((await response.json()) as { error: string }).error).toBe('method_not_allowed');
  });

  it('serves HEAD from a GET route and ignores the query string when routing', async () => {
    const { http } = setup();
    http.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
    const base = await listening(http);
    expect((await fetch(`${base}/healthz?verbose=1`)).status).toBe(200);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('turns a throwing handler into a 500 with a request id, logs it, and keeps serving', async () => {
    const { http, lines, observed } = setup();
    http.route('POST', '/boom', () => {
      throw new Error('database exploded');
    });
    http.route('POST', '/async-boom', async () => {
      await Promise.resolve();
      throw new Error('later explosion');
    });
    http.route('GET', '/fine', (_req, res) => sendJson(res, 200, { fine: true }));
    const base = await listening(http);

    const response = await fetch(`${base}/boom`, { method: 'POST', headers: { 'X-Request-Id': 'req-42' } });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { error: string; message: string; requestId: string };
    expect(body).toEqual({ error: 'internal', message: 'Something went wrong (request id req-42).', requestId: 'req-42' });
    expect(JSON.stringify(body)).not.toContain('exploded');
    const logged = lines.map((line) => JSON.parse(line) as { level: number; requestId?: string; err?: { message: string } });
    expect(logged.some((entry) => entry.level === 50 && entry.requestId === 'req-42' && entry.err?.message === 'database exploded')).toBe(true);

    expect((await fetch(`${base}/async-boom`, { method: 'POST' })).status).toBe(500);
    expect((await fetch(`${base}/fine`)).status).toBe(200);
    expect(observed.map((entry) => entry.labels.status)).toEqual([500, 500, 200]);
  });

  it('drops the connection when a handler fails after it started answering, and keeps serving', async () => {
    const { http } = setup();
    http.route('GET', '/half', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('partial');
      throw new Error('failed mid-answer');
    });
    http.route('GET', '/fine', (_req, res) => sendJson(res, 200, { fine: true }));
    const base = await listening(http);
    await expect(fetch(`${base}/half`).then((response) => response.text())).rejects.toThrow();
    expect((await fetch(`${base}/fine`)).status).toBe(200);
  });

  it('replaces a request id that is not short and plain', async () => {
    const { http } = setup();
    http.route('GET', '/id', (_req, res, context) => sendJson(res, 200, { id: context.requestId }));
    const base = await listening(http);
    const response = await fetch(`${base}/id`, { headers: { 'X-Request-Id': 'has spaces; and=stuff' } });
    const { id } = (await response.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-request-id')).toBe(id);
  });

  it('leaves the request body unread for the handler (as a signature-checking receiver needs)', async () => {
    const { http } = setup();
    http.route('POST', '/raw', async (req, res) => {
      const hash = createHash('sha256');
      for await (const chunk of req) hash.update(chunk as Buffer);
      sendJson(res, 200, { sha256: hash.digest('hex') });
    });
    const base = await listening(http);
    const payload = Buffer.alloc(300_000, 'token=abc&text=%2Fenv+request+zap');
    const response = await fetch(`${base}/raw`, { method: 'POST', body: payload });
    expect(await response.json()).toEqual({ sha256: createHash('sha256').update(payload).digest('hex') });
  });

  it('refuses a second handler for the same method and path', () => {
    const { http } = setup();
    http.route('GET', '/x', () => undefined);
    expect(() => http.route('get', '/x', () => undefined)).toThrow('route GET /x is already registered');
  });

  it('rejects listen on a port in use, and closes promptly with a keep-alive client connected', async () => {
    const { http } = setup();
    http.route('GET', '/fine', (_req, res) => sendJson(res, 200, { fine: true }));
    const base = await listening(http);
    expect((await fetch(`${base}/fine`)).status).toBe(200);
    const other = setup().http;
    await expect(other.listen(Number(new URL(base).port), '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    const started = performance.now();
    await http.close();
    current = undefined;
    expect(performance.now() - started).toBeLessThan(2000);
    await http.close();
  });

  it('answers malformed HTTP with 400 and keeps serving', async () => {
    const { http } = setup();
    http.route('GET', '/fine', (_req, res) => sendJson(res, 200, { fine: true }));
    const base = await listening(http);
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write('NOT-HTTP \u0000\u0001 garbage\r\n\r\n');
    const [reply] = (await once(socket, 'data')) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 400/);
    socket.destroy();
    expect((await fetch(`${base}/fine`)).status).toBe(200);
  });
  it('answers a request target that is not a URL with 400, and an observer that throws changes nothing', async () => {
    const log = createLogger('silent');
    const http = createHttpServer({
      log,
      observeRequest: () => {
        throw new Error('metrics broke');
      },
    });
    http.route('GET', '/fine', (_req, res) => sendJson(res, 200, { fine: true }));
    const base = await listening(http);
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET http://[not-a-host HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    const reply = Buffer.concat(chunks).toString();
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain('"error":"bad_request"');
    expect((await fetch(`${base}/fine`)).status).toBe(200);
  });
});

describe('readBody', () => {
  function echoServer(limit: number) {
    const { http } = setup();
    http.route('POST', '/echo', async (req, res) => {
      const body = await readBody(req, limit);
      sendJson(res, 200, { length: body.length, text: body.toString('utf8') });
    });
    return http;
  }

  it('returns a body within the limit, exactly at the limit included', async () => {
    const base = await listening(echoServer(10));
    const response = await fetch(`${base}/echo`, { method: 'POST', body: 'héllo+wor' });
    expect(await response.json()).toEqual({ length: 10, text: 'héllo+wor' });
  });

  it('refuses a declared Content-Length over the limit with 413 and closes the connection', async () => {
    const base = await listening(echoServer(1024));
    const response = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(1025) });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toMatchObject({ error: 'payload_too_large', message: 'The request body is larger than 1024 bytes.' });
  });

  it('refuses a chunked body that grows past the limit with 413', async () => {
    const base = await listening(echoServer(1024));
    const chunks = Array.from({ length: 4 }, () => Buffer.alloc(400, 'y'));
    const answer = await postChunked(base, '/echo', chunks);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('accepts a chunked body under the limit', async () => {
    const base = await listening(echoServer(1024));
    const answer = await postChunked(base, '/echo', [Buffer.from('one,'), Buffer.from('two')]);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ length: 7, text: 'one,two' });
  });
});
