import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/project-files.js';
import type { StopResult } from '../../src/queue/workers.js';

/** How a worker process (test/support/worker-process.ts) is started. */
export interface WorkerChildOptions {
  databaseUrl: string;
  prefix: string;
  /** Simulated time per tool in the child (LOCAL_PROVISIONER_STEP_MS). */
  stepMs: number;
  /** The bound the child's SIGTERM handler gives `stop()`. */
  shutdownMs?: number;
  redisUrl?: string;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerChild {
  process: ChildProcess;
  /** Settles when the process has exited. */
  exited: Promise<WorkerExit>;
  /** What the child's graceful stop reported, once it printed it. */
  stopResult(): StopResult | undefined;
  /** Sends a signal and waits for the exit; resolves with the exit and how long it took. */
  signal(signal: NodeJS.Signals): Promise<WorkerExit & { ms: number }>;
}

/** Spawns a worker process and resolves once it takes jobs. */
export function spawnWorkerChild(options: WorkerChildOptions): Promise<WorkerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      WORKER_DATABASE_URL: options.databaseUrl,
      WORKER_QUEUE_PREFIX: options.prefix,
      WORKER_STEP_MS: String(options.stepMs),
      WORKER_SHUTDOWN_MS: String(options.shutdownMs ?? 2000),
      ...(options.redisUrl ? { WORKER_REDIS_URL: options.redisUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<WorkerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let output = '';
  let stopResult: StopResult | undefined;
  const handle: WorkerChild = {
    process: child,
    exited,
    stopResult: () => stopResult,
    async signal(signal) {
      const started = performance.now();
      child.kill(signal);
      const exit = await exited;
      return { ...exit, ms: performance.now() - started };
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker process did not start within 20 s')), 20_000);
    void exited.then((exit) => reject(new Error(`worker process exited early: ${JSON.stringify(exit)}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const stopped = /worker stopped (\{.*\})\n/.exec(output);
      if (stopped) stopResult = JSON.parse(stopped[1]!) as StopResult;
      if (output.includes('worker ready\n')) {
        clearTimeout(timer);
        resolve(handle);
      }
    });
  });
}
