import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allAnswered, runLanes, type HttpRequestSpec } from '../../bench/framework/lanes.js';
import { mergeReports } from '../../bench/framework/report.js';
import { runSuites } from '../../bench/framework/runner.js';
import type { BenchCase, BenchReport, CaseResult } from '../../bench/framework/types.js';

/** The bench's own machinery: the load generator's lanes, and latest.json keeping every suite's latest results. */

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server that answers `status` after `delayMs`, and counts the most requests it held at once. */
async function serve(status: (path: string) => number, delayMs: number): Promise<{ url: string; most: () => number; seen: string[] }> {
  let open = 0;
  let most = 0;
  const seen: string[] = [];
  server = createServer((req, res) => {
    open += 1;
    most = Math.max(most, open);
    seen.push(req.url ?? '');
    setTimeout(() => {
      open -= 1;
      res.statusCode = status(req.url ?? '');
      res.end(`answer ${req.url}`);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, most: () => most, seen };
}

describe('runLanes', () => {
  it('sends every request once, at most inFlight at a time, after one primer per lane, in order of index', async () => {
    const target = await serve(() => 200, 5);
    const at = (path: string): HttpRequestSpec => ({ url: `${target.url}${path}`, method: 'GET', headers: {} });
    const run = await runLanes({ inFlight: 4, total: 30, primer: (lane) => at(`/primer-${lane}`), request: (index) => at(`/r-${index}`), keepAnswers: true });
    expect(target.most()).toBe(4);
    expect(target.seen.filter((path) => path.startsWith('/primer-')).sort()).toEqual(['/primer-0', '/primer-1', '/primer-2', '/primer-3']);
    expect(target.seen.filter((path) => path.startsWith('/r-'))).toHaveLength(30);
    expect(run.answers).toEqual(Array.from({ length: 30 }, (_, index) => `answer /r-${index}`));
    expect(run.firstAnswer).toBe('answer /primer-0');
    expect(run.latenciesMs).toHaveLength(30);
    expect(run.latenciesMs.every((ms) => ms >= 4)).toBe(true);
    expect(allAnswered(run, 'the server')).toBe(run);
  });

  it('refuses to measure when a primer is not answered 200, and reports requests that were not', async () => {
    const target = await serve((path) => (path === '/bad' || path === '/r-3' ? 503 : 200), 1);
    const at = (path: string): HttpRequestSpec => ({ url: `${target.url}${path}`, method: 'GET', headers: {} });
    await expect(runLanes({ inFlight: 2, total: 5, primer: (lane) => at(lane === 1 ? '/bad' : '/ok'), request: () => at('/ok'), keepAnswers: false })).rejects.toThrow(
      /1 of 2 priming requests were not answered 200: answer \/bad/,
    );
    const run = await runLanes({ inFlight: 2, total: 5, primer: () => at('/ok'), request: (index) => at(`/r-${index}`), keepAnswers: false });
    expect(run.answers).toEqual([]);
    expect(() => allAnswered(run, 'the floor')).toThrow('the floor: 1 of 5 requests were not answered 200');
  });
});

function report(startedAt: string, suites: string[], loadAverage: number[]): BenchReport {
  const result = (suite: string): CaseResult => ({ suite, name: `${suite} case`, figure: 'f', baseline: 'b', metrics: [] });
  return {
    startedAt,
    finishedAt: startedAt,
    command: `npm run bench -- --only ${suites.join(',')}`,
    quick: false,
    machine: { node: 'v20', platform: 'linux x64', cpus: 2, cpuModel: 'cpu', memoryMb: 1, loadAverage },
    results: suites.map(result),
  };
}

describe('mergeReports', () => {
  it('replaces the suites a run measured, keeps the others, and names the run of each result', () => {
    const earlier = report('2026-12-07T01:00:00Z', ['ack', 'audit'], [3, 3, 3]);
    const merged = mergeReports(earlier, report('2026-12-07T02:00:00Z', ['ack', 'api'], [1, 1, 1]));
    expect(merged.results.map((result) => [result.suite, result.run?.startedAt])).toEqual([
      ['audit', '2026-12-07T01:00:00Z'],
      ['ack', '2026-12-07T02:00:00Z'],
      ['api', '2026-12-07T02:00:00Z'],
    ]);
    expect(merged.results[0]!.run).toEqual({ startedAt: '2026-12-07T01:00:00Z', command: 'npm run bench -- --only ack,audit', loadAverage: [3, 3, 3] });
    expect(merged.startedAt).toBe('2026-12-07T02:00:00Z');
    // A result merged before keeps the run it came from.
    const again = mergeReports(merged, report('2026-12-07T03:00:00Z', ['api'], [2, 2, 2]));
    expect(again.results.map((result) => [result.suite, result.run?.startedAt])).toEqual([
      ['audit', '2026-12-07T01:00:00Z'],
      ['ack', '2026-12-07T02:00:00Z'],
      ['api', '2026-12-07T03:00:00Z'],
    ]);
    expect(mergeReports(undefined, report('2026-12-07T04:00:00Z', ['api'], [1, 1, 1])).results).toHaveLength(1);
  });
});

describe('runSuites', () => {
  it('runs each case --runs times but a one-run case once, and lets Postgres settle before each run', async () => {
    const happened: string[] = [];
    const benchCase = (name: string, runs?: 1): BenchCase => ({
      name,
      figure: 'f',
      baseline: 'b',
      metrics: [{ key: 'time', label: name, unit: 'ms', better: 'lower' }],
      ...(runs ? { runs } : {}),
      async measure() {
        happened.push(name);
        return { time: { figure: 2, baseline: 1 } };
      },
    });
    const report = await runSuites([{ name: 'suite', open: async () => ({ cases: [benchCase('repeated'), benchCase('long', 1)] }) }], {
      runs: 4,
      quick: false,
      only: [],
      command: 'npm run bench -- --runs 4',
      log: () => undefined,
      settle: async () => {
        happened.push('settle');
        return 0;
      },
    });
    expect(happened).toEqual(['settle', 'repeated', 'settle', 'repeated', 'settle', 'repeated', 'settle', 'repeated', 'settle', 'long']);
    expect(report.results.map((result) => result.metrics[0]!.figure.runs.length)).toEqual([4, 1]);
  });
});
