import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { describeRedisUrl } from './redis.js';

/**
 * A Redis of the bot's own, for a first `npm start` on a machine where none runs: when REDIS_URL is unset and nothing
 * answers at REDIS_DEFAULT_URL, a `redis-server` from the PATH is started at that address, on 127.0.0.1 only, with
 * what BullMQ needs (noeviction) and its data kept under DATA_DIR/redis (append-only file), and stopped with the bot.
 */
export interface PrivateRedis {
  url: string;
  /** Stops the server (SIGTERM: it writes its append-only file and exits). */
  stop(): Promise<void>;
}

export interface PrivateRedisSettings {
  REDIS_URL: string;
  redisUrlSet: boolean;
  DATA_DIR: string;
}

/** How long redis-server may take to say it accepts connections. */
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

export const NO_REDIS_SERVER_HINT =
  "install your distribution's package (Debian and Ubuntu: apt-get install redis-server), run `docker compose up -d redis`, or set REDIS_URL";

/** Starts a private Redis when one is needed; undefined when REDIS_URL is set or something answers already. */
export async function startRedisWhenMissing(settings: PrivateRedisSettings, log: Logger): Promise<PrivateRedis | undefined> {
  if (settings.redisUrlSet) return undefined;
  const url = settings.REDIS_URL;
  if (await answers(url)) return undefined;
  const port = Number(new URL(url).port || '6379');
  const dir = resolve(settings.DATA_DIR, 'redis');
  await mkdir(dir, { recursive: true });
  log.info({ redis: describeRedisUrl(url), dataDir: dir }, 'REDIS_URL is not set and no Redis answers at %s: starting a private redis-server', describeRedisUrl(url));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', '', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // A bot that exits without stopping it (a start-up failure) takes it along.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  try {
    await ready(child, url);
  } catch (error) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    throw error;
  }
  log.info({ redis: describeRedisUrl(url), pid: child.pid }, 'private redis-server ready');
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        process.off('exit', killOnExit);
        await stopChild(child);
        log.info('private redis-server stopped');
      })();
      return stopping;
    },
  };
}

/** Whether a Redis answers PING at the URL within a second. */
async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function ready(child: ChildProcess, url: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.off('error', onError);
      child.off('exit', onExit);
      child.stdout?.off('data', read);
      child.stderr?.off('data', read);
      // Its output is not needed any more, but the pipes must keep flowing or redis-server would block on them.
      child.stdout?.resume();
      child.stderr?.resume();
      if (error) reject(error);
      else resolvePromise();
    };
    const timer = setTimeout(() => settle(new Error(`the private redis-server did not start within ${START_TIMEOUT_MS / 1000} s: ${lastLines(output)}`)), START_TIMEOUT_MS);
    const onError = (error: NodeJS.ErrnoException) =>
      settle(
        error.code === 'ENOENT'
          ? new Error(`Redis is not reachable at ${describeRedisUrl(url)} and there is no redis-server on the PATH to start one: ${NO_REDIS_SERVER_HINT}`)
          : error,
      );
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(new Error(`the private redis-server exited at start (${signal ?? `code ${code}`}): ${lastLines(output)}`));
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) settle();
    };
    child.once('error', onError);
    child.once('exit', onExit);
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function lastLines(output: string): string {
  return output.trim().split('\n').slice(-3).join(' / ').slice(0, 500) || 'no output';
}
