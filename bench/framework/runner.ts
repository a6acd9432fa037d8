import { cpus, loadavg, platform, totalmem } from 'node:os';
import type { BenchCase, BenchReport, BenchSuite, CaseResult, Measurement, MetricResult, SuiteOptions } from './types.js';
import { costRatio, median } from './stats.js';

export interface RunOptions {
  /** Repetitions per case, but for a case that is one run by nature. */
  runs: number;
  quick: boolean;
  /** Suite names to run; all when empty. */
  only: readonly string[];
  command: string;
  log(message: string): void;
  /** Run before each run of a case (after its suite is set up), so that it starts on a quiet machine; says how long it took. */
  settle?(): Promise<number>;
}

/** Opens each suite, runs each of its cases `runs` times, closes it, and collects medians. */
export async function runSuites(suites: readonly BenchSuite[], options: RunOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const results: CaseResult[] = [];
  const selected = options.only.length === 0 ? suites : suites.filter((suite) => options.only.includes(suite.name));
  const unknown = options.only.filter((name) => !suites.some((suite) => suite.name === name));
  if (unknown.length > 0) throw new Error(`unknown bench suite ${unknown.join(', ')}; known: ${suites.map((suite) => suite.name).join(', ')}`);
  for (const suite of selected) {
    const undo: (() => Promise<void>)[] = [];
    const suiteOptions: SuiteOptions = {
      quick: options.quick,
      log: (message) => options.log(`[${suite.name}] ${message}`),
      cleanup: (step) => void undo.unshift(step),
      settle: options.settle ?? (async () => 0),
    };
    const interrupted = () => void undoAll(undo, options.log).finally(() => process.exit(130));
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    try {
      suiteOptions.log('setting up');
      let open;
      try {
        open = await suite.open(suiteOptions);
      } catch (error) {
        await undoAll(undo, options.log);
        throw error;
      }
      try {
        for (const benchCase of open.cases) results.push(await runCase(suite.name, benchCase, options.quick ? 1 : (benchCase.runs ?? options.runs), suiteOptions));
      } finally {
        if (open.close) await open.close();
        else await undoAll(undo, options.log);
      }
    } finally {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
    }
  }
  return { startedAt, finishedAt: new Date().toISOString(), command: options.command, quick: options.quick, machine: machine(), results };
}

async function undoAll(steps: readonly (() => Promise<void>)[], log: (message: string) => void): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      log(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

async function runCase(suite: string, benchCase: BenchCase, runs: number, options: SuiteOptions): Promise<CaseResult> {
  const measurements: Measurement[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const settledMs = await options.settle();
    const measurement = await benchCase.measure();
    measurements.push(measurement);
    const shown = benchCase.metrics.map((metric) => {
      const value = measurement[metric.key];
      return value ? `${metric.key} ${format(value.figure, metric.digits)} vs ${format(value.baseline, metric.digits)} ${metric.unit}` : `${metric.key} missing`;
    });
    options.log(`${benchCase.name}: run ${run}/${runs} (Postgres settled in ${Math.round(settledMs)} ms first): ${shown.join('; ')}`);
  }
  return { suite, name: benchCase.name, figure: benchCase.figure, baseline: benchCase.baseline, metrics: benchCase.metrics.map((metric) => summarize(metric, measurements)) };
}

export function summarize(metric: BenchCase['metrics'][number], measurements: readonly Measurement[]): MetricResult {
  const values = measurements.map((measurement) => {
    const value = measurement[metric.key];
    if (!value) throw new Error(`a run of "${metric.label}" did not measure ${metric.key}`);
    return value;
  });
  const figure = values.map((value) => value.figure);
  const baseline = values.map((value) => value.baseline);
  const ratio = values.map((value) => costRatio(value.figure, value.baseline, metric.better));
  const result: MetricResult = {
    ...metric,
    figure: { median: median(figure), runs: figure },
    baseline: { median: median(baseline), runs: baseline },
    ratio: { median: median(ratio), runs: ratio },
  };
  if (metric.target !== undefined) result.met = result.ratio.median <= metric.target;
  return result;
}

function format(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function machine(): BenchReport['machine'] {
  const list = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${process.arch}`,
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

