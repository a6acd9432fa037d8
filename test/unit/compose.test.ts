import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/project-files.js';

const healthcheck = z.object({ test: z.array(z.string()).min(2), interval: z.string(), timeout: z.string(), retries: z.number() });
const service = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  healthcheck,
});
const composeFile = z.object({ services: z.record(z.string(), service) });

const compose = composeFile.parse(parse(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')));
const { postgres, redis, bot } = compose.services;

/** Compose's `${NAME:-default}` and `${NAME}` with nothing set in the shell: what the bot gets out of the box. */
function interpolateUnset(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_match, fallback: string | undefined) => fallback ?? '');
}

describe('docker-compose.yml', () => {
  it('has exactly the postgres, redis and bot services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['bot', 'postgres', 'redis']);
  });

  it('checks Postgres with pg_isready and Redis with redis-cli ping', () => {
    expect(postgres?.healthcheck.test.join(' ')).toMatch(/pg_isready/);
    expect(redis?.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('runs Redis with noeviction and the append-only file, as BullMQ requires', () => {
    const args = redis?.command ?? [];
    expect(args[0]).toBe('redis-server');
    expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
  });

  it('builds the bot from the Dockerfile and starts it only once both stores are healthy', () => {
    expect(bot?.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(bot?.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('checks the bot on /healthz on the port it listens on', () => {
    const probe = bot?.healthcheck.test.join(' ') ?? '';
    expect(probe).toContain(`http://127.0.0.1:${String(bot?.environment?.PORT)}/healthz`);
  });

  it('gives the bot only variables the configuration knows', () => {
    const known = new Set<string>(CONFIG_VARIABLES);
    const unknown = Object.keys(bot?.environment ?? {}).filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
  });

  it("gives the bot an environment that loadConfig accepts, pointing at the compose services", () => {
    const env = Object.fromEntries(Object.entries(bot?.environment ?? {}).map(([name, value]) => [name, interpolateUnset(String(value))]));
    const config = loadConfig(env);
    expect(config.DATABASE_URL).toBe('postgres://aithroyz:aithroyz@postgres:5432/aithroyz');
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(config.PROVISIONER).toBe('local');
    expect(config.REMINDER_OFFSETS).toEqual([24 * 3600, 3600, 15 * 60]);
    expect(config.slack).toBeUndefined();
    expect(config.mattermost).toBeUndefined();
  });

  it('passes every chat and provisioner setting through, so a .env file can switch them on', () => {
    const passed = new Set(Object.keys(bot?.environment ?? {}));
    const platformVariables = CONFIG_VARIABLES.filter((name) => /^(SLACK|MATTERMOST|PULUMI|OIDC)_|^PUBLIC_URL$|^LAB_ALLOWED_CIDRS$/.test(name));
    expect(platformVariables.filter((name) => !passed.has(name))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+ /.test(line));

  it('builds on node:20 in two stages and runs the compiled entry with `start`', () => {
    expect(instructions.filter((line) => line.startsWith('FROM ')).map((line) => line.split(' ')[1])).toEqual([
      'node:20-bookworm-slim',
      'node:20-bookworm-slim',
    ]);
    expect(instructions).toContain('RUN npm ci --ignore-scripts');
    expect(instructions.some((line) => line.startsWith('RUN npm run build'))).toBe(true);
    expect(instructions.at(-1)).toBe('CMD ["node", "dist/src/main.js", "start"]');
    expect(instructions).toContain('USER node');
  });

  it('ships the migrations and the catalog the runtime reads', () => {
    expect(instructions).toContain('COPY migrations ./migrations');
    expect(instructions).toContain('COPY catalog ./catalog');
  });

  it('keeps local state, dependencies and test code out of the build context', () => {
    const ignored = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', '.data', '.git', '.env', 'test', 'bench']) expect(ignored).toContain(entry);
  });

  it('compiles no test code into dist/', () => {
    const build = JSON.parse(readFileSync(join(PROJECT_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(build.include).toEqual(['src', 'commands', 'workflows', 'blocks', 'scripts']);
  });
});
