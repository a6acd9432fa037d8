import { once } from 'node:events';
import { Agent, request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { sendJson } from '../../src/http/answers.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';

/**
 * Graceful shutdown of the one HTTP server: no new connections, running requests finish and their connections
 * close, and long-lived responses (an event stream) are ended so that they do not hold the shutdown open.
 */
let current: HttpServer | undefined;
const agents: Agent[] = [];
afterEach(async () => {
  await current?.close();
  current = undefined;
  for (const agent of agents.splice(0)) agent.destroy();
});

async function listening(http: HttpServer): Promise<number> {
  current = http;
  return (await http.listen(0, '127.0.0.1')).port;
}

/** A GET over a keep-alive connection, as a proxy or a load balancer in front of the bot keeps them. */
function get(port: number, path: string): Promise<IncomingMessage> {
  const agent = new Agent({ keepAlive: true });
  agents.push(agent);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, resolve).on('error', reject).end();
  });
}

async function text(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('closing the HTTP server', () => {
  it('lets a running request finish, takes no new connection, and closes the kept-alive one after the answer', async () => {
    const http = createHttpServer({ log: silentLogger });
    const started = deferred();
    const release = deferred();
    http.register(async (door) => {
      door.get('/slow', async (_request, reply) => {
        started.resolve();
        await release.promise;
        return sendJson(reply, 200, { done: true });
      });
    });
    const port = await listening(http);
    const running = get(port, '/slow');
    await started.promise;

    const closed = http.close();
    await expect(fetch(`http://127.0.0.1:${port}/slow`)).rejects.toThrow();
    release.resolve();
    const response = await running;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    expect(JSON.parse(await text(response))).toEqual({ done: true });
    await closed;
    current = undefined;
  });

  it('ends a long-lived response registered with closeOnShutdown, and forgets one that ended on its own', async () => {
    const http = createHttpServer({ log: silentLogger });
    const streams: string[] = [];
    http.register(async (door) => {
      door.get('/events', async (request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream' });
        reply.raw.write('data: hello\n\n');
        const name = (request.query as { name?: string }).name ?? '';
        const forget = door.closeOnShutdown(() => {
          streams.push(name);
          reply.raw.end('event: closing\ndata: the server is shutting down\n\n');
        });
        reply.raw.once('close', forget);
        if (name === 'short') reply.raw.end();
        return reply;
      });
    });
    const port = await listening(http);
    await text(await get(port, '/events?name=short'));
    const stream = await get(port, '/events?name=long');
    const [first] = (await once(stream, 'data')) as [Buffer];
    expect(first.toString()).toBe('data: hello\n\n');

    const rest = text(stream);
    await http.close();
    current = undefined;
    expect(await rest).toBe('event: closing\ndata: the server is shutting down\n\n');
    expect(streams).toEqual(['long']);
  });
});
