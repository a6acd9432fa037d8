import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a child measurement reports; `maxRssBytes` is the child's peak resident memory over its whole life. */
export interface ChildReport {
  maxRssBytes: number;
  [key: string]: unknown;
}

/**
 * Runs a measurement in a process of its own, so that its peak memory is its alone: `script` (a module URL) gets
 * `args`, does its work, and sends one message with `reportToParent`. The child runs under the same loader as this
 * process (tsx), so it may import the TypeScript sources.
 */
export function runChild(script: string | URL, args: readonly string[]): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(script), [...args], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report: ChildReport | undefined;
    child.once('message', (message) => {
      report = message as ChildReport;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && report) resolve(report);
      else reject(new Error(`bench child ${String(script)} exited with ${code ?? 'a signal'}${report ? '' : ' before reporting'}`));
    });
  });
}

/** For the child: sends the report (with its peak memory) to the parent and exits once it is delivered. */
export function reportToParent(values: Record<string, unknown>): void {
  const report: ChildReport = { ...values, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  if (!process.send) throw new Error('reportToParent runs only in a bench child');
  process.send(report, () => process.disconnect());
}
