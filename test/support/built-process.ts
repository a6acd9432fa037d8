import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../../src/project-files.js';
import { pollUntil } from './redis.js';

/**
 * A process of the built project (`node dist/src/main.js web|worker|start`), as an operator or an orchestrator runs
 * it: settings from its environment alone, logs as pino JSON lines on stdout. Call `builtProject()` first.
 */

export type BuiltMode = 'web' | 'worker' | 'start';

/** One pino log line. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BuiltProcess {
  mode: BuiltMode;
  /** A name for messages: the mode and a number. */
  name: string;
  child: ChildProcess;
  /** Every log line so far, in order. */
  readonly lines: LogLine[];
  /** What it wrote to stderr (start-up failures). */
  stderr(): string;
  /** Settles when the process has exited. */
  exited: Promise<ProcessExit>;
  /** Resolves with the line saying it started; rejects, with what it printed, if it exits first. */
  started: Promise<LogLine>;
  /** The web half's base URL, once started. */
  url(): string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<ProcessExit>;
}

/** The line every process logs once it has started (migrations, roles, workers or HTTP server all up). */
const STARTED = 'aithroyz chatops started';

/** Starts a process with exactly `env` (and PATH and HOME): nothing leaks in from the test's own environment. */
export function spawnBuilt(mode: BuiltMode, env: Record<string, string>, name: string = mode): BuiltProcess {
  const child = spawn(process.execPath, ['dist/src/main.js', mode], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const started = new Promise<LogLine>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = parsed(text);
      lines.push(line);
      if (line.msg === STARTED) resolve(line);
    });
    void exited.then((result) => reject(new Error(`${name} exited (${JSON.stringify(result)}): ${stderr.trim() || 'nothing on stderr'}`)));
  });
  started.catch(() => undefined);
  return {
    mode,
    name,
    child,
    lines,
    stderr: () => stderr,
    exited,
    started,
    url() {
      const port = lines.find((line) => line.msg === STARTED)?.port;
      if (typeof port !== 'number' || port === 0) throw new Error(`${name} has not started a web server`);
      return `http://127.0.0.1:${port}`;
    },
    async stop() {
      if (!exit) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Resolves once the process is ready: it logged that it started (a worker has no other sign) and, with a web half,
 * its `/readyz` answers 200. Rejects as soon as it exits, with what it printed.
 */
export async function untilReady(proc: BuiltProcess, timeoutMs = 60_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${proc.name} was not ready within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([proc.started, late]);
    if (proc.mode === 'worker') return;
    let exited = false;
    void proc.exited.then(() => (exited = true));
    const polled = pollUntil(async () => exited || (await readyz(proc.url())) === 200, { timeoutMs, intervalMs: 50 });
    await Promise.race([polled, late]);
    if (exited) throw new Error(`${proc.name} exited after it started: ${proc.stderr().trim() || 'nothing on stderr'}`);
  } finally {
    clearTimeout(timer);
  }
}

function parsed(text: string): LogLine {
  try {
    return JSON.parse(text) as LogLine;
  } catch {
    return { level: 30, msg: text };
  }
}

async function readyz(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) })).status;
  } catch {
    return 0;
  }
}

/** pino's levels. */
export const LEVEL = { warn: 40, error: 50 } as const;

/** The log lines of these processes at `level` or worse, as text, for assertions that there are none. */
export function logLinesAtLeast(processes: BuiltProcess[], level: number): string[] {
  return processes.flatMap((proc) => proc.lines.filter((line) => line.level >= level).map((line) => `${proc.name}: ${JSON.stringify(line)}`));
}
