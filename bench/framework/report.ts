import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport, CaseResult, MetricResult } from './types.js';

/** The results as one markdown table: figure, baseline measured in the same run, and the cost ratio. */
export function formatTable(report: BenchReport): string {
  const header = ['case', 'figure', 'baseline', 'ratio', 'target'];
  const rows = report.results.flatMap((result) => result.metrics.map((metric) => row(metric)));
  const legend = describeCases(report);
  const table = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  const load = report.machine.loadAverage.join(', ');
  const about = `Medians of ${describeRuns(report)}; ratio = cost relative to the baseline (times for times and memory, inverse for rates; 1.00× = as good as the baseline). ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.platform}, Node ${report.machine.node}, load average at the end ${load}.`;
  return [...table, '', about, ...legend].join('\n');
}

function row(metric: MetricResult): string[] {
  const unit = metric.unit;
  const target = metric.target === undefined ? '' : `≤ ${metric.target}× ${metric.met ? '(met)' : '(not met)'}`;
  return [metric.label, `${format(metric.figure.median, metric.digits)} ${unit}`, `${format(metric.baseline.median, metric.digits)} ${unit}`, `${metric.ratio.median.toFixed(2)}×`, target];
}

/** One line per distinct comparison: cases measuring the same thing at other sizes share it. */
function describeCases(report: BenchReport): string[] {
  const groups = new Map<string, string[]>();
  for (const result of report.results) {
    const what = `${result.figure}, against ${result.baseline}.`;
    groups.set(what, [...(groups.get(what) ?? []), result.name]);
  }
  return [...groups].map(([what, names]) => `- ${names.join('; ')}: ${what}`);
}

function describeRuns(report: BenchReport): string {
  const counts = new Set(report.results.flatMap((result) => result.metrics.map((metric) => metric.figure.runs.length)));
  return `${[...counts].sort((a, b) => a - b).join(' or ')} run${counts.size === 1 && counts.has(1) ? '' : 's'} per case`;
}

function format(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Writes the report as `<folder>/<timestamp>.json` and merges it into `<folder>/latest.json`: the suites this run
 * measured replace their earlier results there, the others' stay, and each result names the run that measured it. A
 * `--quick` run (figures not comparable) leaves latest.json alone. Returns the paths written.
 */
export async function writeReport(report: BenchReport, folder: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const path = join(folder, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  if (report.quick) return [path];
  const latestPath = join(folder, 'latest.json');
  const latest = mergeReports(await readReport(latestPath), report);
  await writeFile(latestPath, `${JSON.stringify(latest, null, 2)}\n`);
  return [path, latestPath];
}

async function readReport(path: string): Promise<BenchReport | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as BenchReport;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `earlier`'s results of the suites `report` did not run, then `report`'s, each with the run that measured it. */
export function mergeReports(earlier: BenchReport | undefined, report: BenchReport): BenchReport {
  const measured = new Set(report.results.map((result) => result.suite));
  const kept = (earlier?.results ?? []).filter((result) => !measured.has(result.suite)).map((result) => ({ ...result, run: result.run ?? runOf(earlier!) }));
  return { ...report, results: [...kept, ...report.results.map((result) => ({ ...result, run: runOf(report) }))] };
}

function runOf(report: BenchReport): NonNullable<CaseResult['run']> {
  return { startedAt: report.startedAt, command: report.command, loadAverage: report.machine.loadAverage };
}
