import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { sendJson } from '../../src/http/answers.js';
import { acceptRawBodies, createHttpServer, rawBodyOf, type HttpServer, type RequestObserver } from '../../src/http/server.js';

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
    http.register(async (door) => {
      door.post('/slack/events', async (_request, reply) => sendJson(reply, 200, {}));
    });
    const base = await listening(http);
    const response = await fetch(`${base}/slack/events`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(((await response.json()) as { error: string }).error).toBe('method_not_allowed');
  });

  it('answers 405 on a path a route template matches, counting it under the template', async () => {
    const { http, observed } = setup();
    http.register(async (door) => {
      door.get('/labs/:id', async (request, reply) => sendJson(reply, 200, { id: (request.params as { id: string }).id }));
    });
    const base = await listening(http);
    expect(await (await fetch(`${base}/labs/env-7k2p9q`)).json()).toEqual({ id: 'env-7k2p9q' });
    const response = await fetch(`${base}/labs/env-7k2p9q`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(await response.json()).toMatchObject({ error: 'method_not_allowed', message: '/labs/env-7k2p9q does not accept DELETE' });
    expect(observed.map((entry) => entry.labels)).toEqual([
      { method: 'GET', route: '/labs/:id', status: 200 },
      { method: 'DELETE', route: '/labs/:id', status: 405 },
    ]);
  });

  it('counts an answer a door writes on the raw response itself (as Bolt does), with its request id', async () => {
    const { http, observed } = setup();
    http.register(async (door) => {
      door.post('/raw-writer', async (_request, reply) => {
        reply.hijack();
        setImmediate(() => {
          reply.raw.writeHead(201, { 'Content-Type': 'application/json' });
          reply.raw.end('{"ok":true}');
        });
        return reply;
      });
    });
    const base = await listening(http);
    const response = await fetch(`${base}/raw-writer`, { method: 'POST', headers: { 'X-Request-Id': 'req-raw' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('req-raw');
    expect(await response.json()).toEqual({ ok: true });
    expect(observed.map((entry) => entry.labels)).toEqual([{ method: 'POST', route: '/raw-writer', status: 201 }]);
  });

  it('serves HEAD from a GET route and ignores the query string when routing', async () => {
    const { http } = setup();
    http.register(async (door) => {
      door.get('/healthz', async (_request, reply) => sendJson(reply, 200, { status: 'ok' }));
    });
    const base = await listening(http);
    expect((await fetch(`${base}/healthz?verbose=1`)).status).toBe(200);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('turns a throwing handler into a 500 with a request id, logs it, and keeps serving', async () => {
    const { http, lines, observed } = setup();
    http.register(async (door) => {
      door.post('/boom', () => {
        throw new Error('database exploded');
      });
      door.post('/async-boom', async () => {
        await Promise.resolve();
        throw new Error('later explosion');
      });
      door.get('/fine', async (_request, reply) => sendJson(reply, 200, { fine: true }));
    });
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
    http.register(async (door) => {
      door.get('/half', (_request, reply) => {
        reply.raw.writeHead(200, { 'Content-Type': 'text/plain' });
        reply.raw.write('partial');
        throw new Error('failed mid-answer');
      });
      door.get('/fine', async (_request, reply) => sendJson(reply, 200, { fine: true }));
    });
    const base = await listening(http);
    await expect(fetch(`${base}/half`).then((response) => response.text())).rejects.toThrow();
    expect((await fetch(`${base}/fine`)).status).toBe(200);
  });

  it('replaces a request id that is not short and plain', async () => {
    const { http } = setup();
    http.register(async (door) => {
      door.get('/id', async (request, reply) => sendJson(reply, 200, { id: request.id }));
    });
    const base = await listening(http);
    const response = await fetch(`${base}/id`, { headers: { 'X-Request-Id': 'has spaces; and=stuff' } });
    const { id } = (await response.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-request-id')).toBe(id);
  });

  it('hands a door that takes raw bodies the exact bytes, whatever the type (as a signature-checking receiver needs)', async () => {
    const { http } = setup();
    http.register(async (door) => {
      acceptRawBodies(door, 1024 * 1024);
      door.post('/raw', async (request, reply) => sendJson(reply, 200, { sha256: createHash('sha256').update(rawBodyOf(request)).digest('hex') }));
    });
    const base = await listening(http);
    const payload = Buffer.alloc(300_000, 'token=abc&text=%2Fenv+request+zap');
    const response = await fetch(`${base}/raw`, { method: 'POST', body: payload });
    expect(await response.json()).toEqual({ sha256: createHash('sha256').update(payload).digest('hex') });
  });

  it('refuses a second handler for the same method and path', () => {
    const { http } = setup();
    http.app.get('/x', async () => undefined);
    expect(() => http.app.route({ method: 'get', url: '/x', handler: async () => undefined })).toThrow("Method 'GET' already declared for route '/x'");
  });

  it('rejects listen on a port in use, and closes promptly with a keep-alive client connected', async () => {
    const { http } = setup();
    http.register(async (door) => {
      door.get('/fine', async (_request, reply) => sendJson(reply, 200, { fine: true }));
    });
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
    http.register(async (door) => {
      door.get('/fine', async (_request, reply) => sendJson(reply, 200, { fine: true }));
    });
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
    http.register(async (door) => {
      door.get('/fine', async (_request, reply) => sendJson(reply, 200, { fine: true }));
    });
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

describe('raw bodies', () => {
  function echoServer(limit: number) {
    const { http } = setup();
    http.register(async (door) => {
      acceptRawBodies(door, limit);
      door.post('/echo', async (request, reply) => {
        const body = rawBodyOf(request);
        return sendJson(reply, 200, { length: body.length, text: body.toString('utf8') });
      });
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
