import { runChild, type ChildReport } from '../framework/child.js';
import type { BenchCase } from '../framework/types.js';

const MB = 1024 * 1024;
const CHILD = new URL('./export-child.ts', import.meta.url);

/** `openAuditExport` against `COPY … TO STDOUT WITH CSV` on the same rows, each in a process of its own. */
export function exportCase(databaseUrl: string, entries: number): BenchCase {
  const label = `audit export, ${entries.toLocaleString('en-US')} entries`;
  return {
    name: label,
    figure: '`openAuditExport` (COPY of the neutralising query, CRLF record ends, in its read-only transaction) into a byte-counting sink',
    baseline: "Postgres's own `COPY (same rows, no neutralising) TO STDOUT WITH CSV` into the same sink",
    metrics: [
      { key: 'time', label: `${label}: time`, unit: 's', better: 'lower', target: 2, digits: 1 },
      { key: 'rss', label: `${label}: peak RSS`, unit: 'MB', better: 'lower' },
    ],
    async measure() {
      const exported = await runChild(CHILD, ['export', databaseUrl, String(entries)]);
      const copied = await runChild(CHILD, ['copy', databaseUrl, String(entries)]);
      for (const [what, report] of [['export', exported], ['COPY', copied]] as const) {
        if (report.rows !== entries) throw new Error(`the ${what} wrote ${String(report.rows)} rows, not ${entries}`);
      }
      return {
        time: { figure: seconds(exported), baseline: seconds(copied) },
        rss: { figure: exported.maxRssBytes / MB, baseline: copied.maxRssBytes / MB },
      };
    },
  };
}

function seconds(report: ChildReport): number {
  if (typeof report.seconds !== 'number') throw new Error('a bench child reported no time');
  return report.seconds;
}
