import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatActor } from '../../src/domain/actor.js';
import { PROJECT_ROOT } from '../../src/project-files.js';
import { addCloudKey } from '../../workflows/cloud-keys.js';
import { newCredentialsKey, newPair } from '../support/cloud-keys.js';
import { RecordingJobQueue } from '../support/command-kit.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { buildServices } from '../support/services.js';
import { uniquePrefix } from '../support/redis.js';

/** The entry point against a database holding a sealed cloud key: start-up refusals and re-keying, as an operator sees them. */
function runMain(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', PORT: '0', QUEUE_PREFIX: uniquePrefix('ck'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const sealedUnder = newCredentialsKey();
const pair = newPair();
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  const s = await buildServices({ db: database.db, settings: { ADMINS: 'slack:U0ADMIN', CREDENTIALS_KEY: sealedUnder }, jobs: new RecordingJobQueue() });
  await addCloudKey(s, {
    actor: chatActor({ platform: 'slack', id: 'U0ADMIN', name: 'carol' }),
    key: { name: 'stored', provider: 'aws', region: 'eu-west-1', ...pair },
    requestId: 'seed',
  });
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

// Each case starts the entry point once or more (with tsx): seconds each, more on a busy machine.
describe('start-up with stored cloud keys', { timeout: 120_000 }, () => {
  it('stops with one line when CREDENTIALS_KEY is missing', async () => {
    const { code, stderr } = await runMain(['web'], { DATABASE_URL: database.url });
    expect(code).toBe(1);
    expect(stderr).toBe('CREDENTIALS_KEY is not set, but 1 cloud key(s) are stored sealed under it: set it to the key they were sealed with.\n');
  });

  it('stops with one line when CREDENTIALS_KEY is another key, without printing either key', async () => {
    const wrong = newCredentialsKey();
    const { code, stderr } = await runMain(['worker'], { DATABASE_URL: database.url, CREDENTIALS_KEY: wrong });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'CREDENTIALS_KEY is not the key the stored cloud keys were sealed with. Set it to the key they were sealed with, or re-key with `npm run rekey`.',
    ]);
    expect(stderr).not.toContain(wrong);
  });

  it('names the variable, not its value, when CREDENTIALS_KEY is not a key at all', async () => {
    const { code, stderr } = await runMain(['web'], { DATABASE_URL: database.url, CREDENTIALS_KEY: 'hunter2-not-a-key' });
    expect(code).toBe(1);
    expect(stderr).toContain('CREDENTIALS_KEY: must be 32 random bytes in base64 (44 characters)');
    expect(stderr).not.toContain('hunter2');
  });

  it('re-keys with `rekey`, after which only the new key starts the bot', async () => {
    const next = newCredentialsKey();
    const wrongOld = await runMain(['rekey'], { DATABASE_URL: database.url, CREDENTIALS_KEY_OLD: newCredentialsKey(), CREDENTIALS_KEY: next });
    expect(wrongOld.code).toBe(1);
    expect(wrongOld.stderr).toBe('CREDENTIALS_KEY_OLD is not the key the stored cloud keys were sealed with.\n');
    const rekeyed = await runMain(['rekey'], { DATABASE_URL: database.url, CREDENTIALS_KEY_OLD: sealedUnder, CREDENTIALS_KEY: next });
    expect(rekeyed.code).toBe(0);
    expect(rekeyed.stdout).toMatch(/^re-keyed 1 cloud key\(s\): they are sealed under CREDENTIALS_KEY \(fingerprint [0-9a-f]{16}\) now\.\n$/);
    const old = await runMain(['web'], { DATABASE_URL: database.url, CREDENTIALS_KEY: sealedUnder });
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/^CREDENTIALS_KEY is not the key the stored cloud keys were sealed with\./);
  });
});
