import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { PROJECT_ROOT } from '../../src/project-files.js';
import { pollUntil } from './redis.js';

/**
 * The project built to dist/ (`npm run build`) once per `vitest run`, however many test files start its processes
 * and however many of them run at once: the first file to ask builds, under a lock file; the others wait for its
 * outcome, written next to the lock. The run id comes from the global set-up (test/support/global-setup.ts).
 */

const BUILD_TIMEOUT_MS = 240_000;
const STATE_DIR = join(tmpdir(), `aithroyz-test-builds-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12)}`);

interface BuildOutcome {
  ok: boolean;
  output: string;
}

let built: Promise<void> | undefined;

/** Resolves once dist/ holds this run's build; throws with the compiler's output when the build failed. */
export function builtProject(): Promise<void> {
  built ??= buildOnce(runId());
  return built;
}

function runId(): string {
  // Outside a run with the global set-up (another vitest config), each test process builds for itself.
  return inject('testRunId') ?? `pid-${process.pid}`;
}

async function buildOnce(id: string): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true });
  const lock = join(STATE_DIR, `${id}.lock`);
  const result = join(STATE_DIR, `${id}.json`);
  const mine = await writeFile(lock, String(process.pid), { flag: 'wx' }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    },
  );
  if (mine) await writeFile(result, JSON.stringify(await runBuild()));
  else await pollUntil(() => readFile(result).then(() => true, () => false), { timeoutMs: BUILD_TIMEOUT_MS, intervalMs: 250, message: () => `no build outcome in ${result}` });
  const outcome = JSON.parse(await readFile(result, 'utf8')) as BuildOutcome;
  if (!outcome.ok) throw new Error(`npm run build failed:\n${outcome.output}`);
}

function runBuild(): Promise<BuildOutcome> {
  // --noCheck: the same JavaScript as `npm run build`, without checking the types again (`npm run typecheck` does
  // that), which is most of the compiler's time.
  const child = spawn('npm', ['run', 'build', '--silent', '--', '--noCheck'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ ok: false, output: String(error) }));
    child.once('exit', (code) => resolve({ ok: code === 0, output }));
  });
}

/** Removes a run's lock and outcome (the global set-up's teardown). */
export async function forgetBuilds(id: string): Promise<void> {
  const names = await readdir(STATE_DIR).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.startsWith(`${id}.`)).map((name) => rm(join(STATE_DIR, name), { force: true })));
}
