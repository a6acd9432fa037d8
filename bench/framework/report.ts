import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport, MetricResult } from './types.js';

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

/** Writes the report as `<folder>/<timestamp>.json` and `<folder>/latest.json`; returns the timestamped path. */
export async function writeReport(report: BenchReport, folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const path = join(folder, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(path, text);
  await writeFile(join(folder, 'latest.json'), text);
  return path;
}
