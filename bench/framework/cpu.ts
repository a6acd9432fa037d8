/** Milliseconds of CPU (user and system) this process has used since it started. */
export function processCpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/**
 * Runs `work` and counts the CPU milliseconds a process used meanwhile (`cpuMs` reads its total: this process's, or a
 * helper process's), so a run can say what each request cost the server that answered it.
 */
export async function countingCpu<T>(cpuMs: () => number | Promise<number>, work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const before = await cpuMs();
  const result = await work();
  return { result, cpuMs: (await cpuMs()) - before };
}
