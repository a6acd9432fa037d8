import { afterEach, describe, expect, it } from 'vitest';
import type { TrustProxy } from '../../src/config.js';
import { sendJson } from '../../src/http/answers.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';

/** TRUST_PROXY decides whether the client address (in request logs, and for rate limits) comes from X-Forwarded-For. */
let current: HttpServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function clientAddress(trustProxy: TrustProxy | undefined, forwardedFor: string | undefined): Promise<{ ip: string; logged: unknown }> {
  const lines: string[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(line) });
  const http = createHttpServer({ log, ...(trustProxy === undefined ? {} : { trustProxy }) });
  http.register(async (door) => {
    door.get('/who', async (request, reply) => {
      request.log.info('asked who');
      return sendJson(reply, 200, { ip: request.ip });
    });
  });
  current = http;
  const { port } = await http.listen(0, '127.0.0.1');
  const response = await fetch(`http://127.0.0.1:${port}/who`, { headers: forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {} });
  const { ip } = (await response.json()) as { ip: string };
  const entry = lines.map((line) => JSON.parse(line) as { msg: string; clientIp?: string }).find((line) => line.msg === 'asked who');
  return { ip, logged: entry?.clientIp };
}

describe('the client address', () => {
  it('is the connection peer by default, whatever X-Forwarded-For claims', async () => {
    expect(await clientAddress(undefined, '203.0.113.7')).toEqual({ ip: '127.0.0.1', logged: '127.0.0.1' });
    expect(await clientAddress(false, '203.0.113.7')).toEqual({ ip: '127.0.0.1', logged: '127.0.0.1' });
  });

  it('comes from X-Forwarded-For when the proxy is trusted: every proxy, by hop count or by address', async () => {
    expect(await clientAddress(true, '198.51.100.1, 203.0.113.7')).toEqual({ ip: '198.51.100.1', logged: '198.51.100.1' });
    expect(await clientAddress(1, '198.51.100.1, 203.0.113.7')).toEqual({ ip: '203.0.113.7', logged: '203.0.113.7' });
    expect(await clientAddress(['127.0.0.1/8'], '198.51.100.1, 203.0.113.7')).toEqual({ ip: '203.0.113.7', logged: '203.0.113.7' });
  });

  it('stays the peer when the peer is not one of the trusted proxies', async () => {
    expect(await clientAddress(['10.0.0.0/8'], '203.0.113.7')).toEqual({ ip: '127.0.0.1', logged: '127.0.0.1' });
  });
});
