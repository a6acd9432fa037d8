import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/project-files.js';
import { formatTable, writeReport } from './framework/report.js';
import { runSuites } from './framework/runner.js';
import { settlePostgres } from './framework/settle.js';
import { TEST_POSTGRES_URL } from '../test/support/database.js';
import { SUITES } from './suites.js';

const USAGE = `npm run bench [-- --runs 5] [--only audit,...] [--quick] [--out bench/results]
  --runs   repetitions per case (default 5; the timer lateness and the worker memory are one long run each)
  --only   suites to run (${SUITES.map((suite) => suite.name).join(', ')})
  --quick  small inputs, one run: checks the bench itself, figures not comparable
  --out    folder for the JSON results (default bench/results); latest.json there keeps the
           latest results of every suite (a --quick run leaves it alone)`;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string', default: '' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(PROJECT_ROOT, 'bench', 'results') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1, not ${values.runs}`);

const log = (message: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${message}`);
const report = await runSuites(SUITES, {
  runs,
  quick: values.quick,
  only: values.only.split(',').map((name) => name.trim()).filter((name) => name !== ''),
  command: ['npm run bench', ...process.argv.slice(2)].join(' '),
  log,
  settle: () => settlePostgres(TEST_POSTGRES_URL),
});
console.log(formatTable(report));
log(`results written to ${(await writeReport(report, values.out)).join(' and ')}`);
