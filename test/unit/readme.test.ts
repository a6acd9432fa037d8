import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/audit/query.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/project-files.js';

const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');

/** The body of a `## Title` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** First-column cells of the markdown table rows in a text: `| \`NAME\` | ...` gives NAME. */
function tableNames(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => /^\| `([^`]+)`/.exec(line)?.[1] ?? '');
}

/** Second-column cells, keyed by the first. */
function tableDefaults(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map((cells) => [cells[1]?.replaceAll('`', '') ?? '', cells[2] ?? '']),
  );
}

describe('README', () => {
  const configuration = section('Configuration');

  it('documents every configuration variable in the configuration table, once', () => {
    const documented = tableNames(configuration);
    expect(CONFIG_VARIABLES.filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !(CONFIG_VARIABLES as readonly string[]).includes(name))).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('states the defaults the configuration really has', () => {
    const defaults = tableDefaults(configuration);
    const config = loadConfig({});
    const plain = ['PORT', 'EMBEDDED_POSTGRES_PORT', 'REDIS_URL', 'PROVISIONER', 'LOCAL_PROVISIONER_STEP_MS', 'MAX_ACTIVE_PER_USER', 'AUDIT_RETENTION_DAYS', 'LOG_LEVEL', 'QUEUE_PREFIX', 'WORKER_CONCURRENCY', 'DATA_DIR', 'REDIS_EVICTION_CHECK', 'SLACK_API_URL', 'TRUST_PROXY'] as const;
    for (const name of plain) expect(defaults.get(name), name).toBe(`\`${String(config[name])}\``);
    // Durations are documented as typed (`15m`); parsing the documented text must give the real default.
    const durations = ['MIN_TTL', 'APPROVAL_TIMEOUT', 'REMINDER_OFFSETS', 'SHUTDOWN_TIMEOUT', 'RECONCILE_INTERVAL'] as const;
    for (const name of durations) {
      const documented = defaults.get(name)?.replaceAll('`', '') ?? '';
      expect(loadConfig({ [name]: documented })[name], name).toEqual(config[name]);
    }
  });

  it('gives the two set-up commands and says what the tests need', () => {
    const setup = section('Set-up on a fresh machine');
    expect(setup).toContain('npm install && npm start');
    expect(setup).toContain('npm test');
    for (const need of ['127.0.0.1:5432', '127.0.0.1:6379', 'redis-server', 'TEST_DATABASE_URL', 'TEST_REDIS_URL']) expect(setup).toContain(need);
  });

  it('lists the processes and the HTTP routes', () => {
    const processes = section('Processes');
    for (const command of ['npm start', 'node dist/src/main.js web', 'node dist/src/main.js worker', 'npm run migrate', 'npm run demo']) {
      expect(processes).toContain(`\`${command}\``);
    }
    const routes = tableNames(section('HTTP routes'));
    for (const route of ['POST /slack/events', 'POST /mattermost/command', 'POST /mattermost/actions', 'POST /mattermost/dialogs', 'GET /healthz', 'GET /readyz', 'GET /metrics']) {
      expect(routes).toContain(route);
    }
  });

  it('prints the audit CSV header exactly as the export writes it', () => {
    expect(section('Identifiers and exports')).toContain(`\`${CSV_COLUMNS.join(',')}\``);
  });

  it('keeps the Slack, Mattermost and Architecture sections', () => {
    for (const title of ['Slack', 'Mattermost', 'Architecture']) expect(section(title).length).toBeGreaterThan(20);
    expect(section('Architecture')).toContain('docs/architecture.md');
  });
});
