import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { builtProject } from '../support/built-project.js';
import { spawnBuilt, untilReady, type BuiltProcess } from '../support/built-process.js';
import { rawRequest } from '../support/raw-http.js';
import { freePort } from '../support/redis-server.js';

/**
 * A first start on a machine with nothing set up: no settings but a clean data folder, no Postgres configured, and
 * nothing answering at the Redis address probed (a free port, while the machine's own Redis runs elsewhere). `start`
 * must start its own Redis and its embedded Postgres, reach /readyz, open the sandbox, say where, and stop both on
 * SIGTERM.
 */
describe('a first start with nothing set up', () => {
  let dataDir: string | undefined;
  let bot: BuiltProcess | undefined;

  afterAll(async () => {
    await bot?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });

  it('runs its own Redis and embedded Postgres, serves the sandbox, and stops both on SIGTERM', { timeout: 240_000 }, async () => {
    await builtProject();
    dataDir = await mkdtemp(join(tmpdir(), 'aithroyz-first-start-'));
    const redisPort = await freePort();
    expect(await listening(redisPort)).toBe(false);
    bot = spawnBuilt('start', { DATA_DIR: dataDir, PORT: '0', EMBEDDED_POSTGRES_PORT: '0', REDIS_DEFAULT_URL: `redis://127.0.0.1:${redisPort}` });
    await untilReady(bot, 180_000);

    const messages = bot.lines.map((line) => line.msg);
    const port = new URL(bot.url()).port;
    expect(messages).toContain(`Try it: http://localhost:${port}/sandbox`);
    expect(messages.find((message) => message.startsWith('open doors: '))).toContain(`sandbox http://localhost:${port}/sandbox`);
    expect(messages.some((message) => message.startsWith('REDIS_URL is not set and no Redis answers at'))).toBe(true);

    // Its Redis keeps jobs (noeviction) and its data under DATA_DIR/redis.
    const redis = new Redis(`redis://127.0.0.1:${redisPort}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'dir')).toEqual(['dir', join(dataDir, 'redis')]);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    redis.disconnect();
    const postgresPort = bot.lines.find((line) => line.msg === 'embedded Postgres is running')?.port;
    expect(typeof postgresPort).toBe('number');

    const page = await rawRequest(`http://127.0.0.1:${port}/sandbox`, { headers: { host: `localhost:${port}` } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('simulated');
    const home = await rawRequest(`http://127.0.0.1:${port}/`, { headers: { host: `localhost:${port}` } });
    expect(home.body).toContain('href="/sandbox"');

    const exit = await bot.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await listening(redisPort)).toBe(false);
    expect(await listening(postgresPort as number)).toBe(false);
    expect(existsSync(join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
    expect(bot.lines.map((line) => line.msg)).toContain('private redis-server stopped');
  });

  it('without a redis-server to start, stops with one line saying how to get one', { timeout: 120_000 }, async () => {
    await builtProject();
    const folder = await mkdtemp(join(tmpdir(), 'aithroyz-no-redis-'));
    try {
      const lonely = spawnBuilt('start', { PATH: join(folder, 'bin'), DATA_DIR: folder, REDIS_DEFAULT_URL: `redis://127.0.0.1:${await freePort()}` });
      expect(await lonely.exited).toEqual({ code: 1, signal: null });
      const lines = lonely.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+ and there is no redis-server on the PATH to start one: .*apt-get install redis-server.*docker compose up -d redis.*REDIS_URL/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
