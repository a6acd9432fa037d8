import { Redis } from 'ioredis';
import { readAuditPage } from '../../src/audit/page.js';
import { ManualClock } from '../../src/clock.js';
import { consoleDoor } from '../../src/console/door.js';
import { readAuditQuery } from '../../src/console/audit-query.js';
import { chatActor } from '../../src/domain/actor.js';
import { createHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { webAssetsDoor } from '../../src/web/assets.js';
import { ConsoleClient, csrfIn } from '../../test/support/console.js';
import { createTestDatabase } from '../../test/support/database.js';
import { attachServices, deleteKeys, TEST_REDIS_URL, USERS } from '../../test/support/services.js';
import { uniquePrefix } from '../../test/support/redis.js';
import { sendSignInLink } from '../../workflows/console-sessions.js';
import { loadEntries } from '../audit/entries.js';
import { percentile } from '../framework/stats.js';
import type { BenchCase, BenchSuite } from '../framework/types.js';

/** What the Audit page's first page may take at p99, whatever the size of the log (docs/promises.md). */
export const AUDIT_PAGE_BUDGET_MS = 200;

/**
 * The console's Audit page over a log of 1,000,000 entries (the audit suite's entries, one a second from 2025-01-01):
 * the first page of a week's entries of one category, and of one event, signed in as an admin, through the whole
 * door (the session with its member's standing, the chain state, the keyset query, the HTML), against the page's query
 * alone.
 */
export const consoleSuite: BenchSuite = {
  name: 'console',
  async open(options) {
    const entries = options.quick ? 20_000 : 1_000_000;
    const requests = options.quick ? 50 : 300;
    const database = await createTestDatabase();
    options.cleanup(() => database.drop());
    const prefix = uniquePrefix('bench-console');
    options.cleanup(() => deleteKeys(prefix));
    options.log(`loading ${entries.toLocaleString('en-US')} chained entries into ${database.name}`);
    await loadEntries(database.db, new ManualClock(), entries);
    await database.pool.query('vacuum (analyze) audit_log');
    const parts = await attachServices(database, prefix, { settings: { PUBLIC_URL: 'http://console.bench' } });
    options.cleanup(() => parts.close());
    const redis = new Redis(TEST_REDIS_URL);
    options.cleanup(async () => void redis.disconnect());
    const server = createHttpServer({ log: silentLogger });
    server.register(webAssetsDoor());
    server.register(consoleDoor({ services: parts.s, redis }));
    const { port } = await server.listen(0, '127.0.0.1');
    options.cleanup(() => server.close());
    const client = new ConsoleClient(`http://127.0.0.1:${port}`);
    await sendSignInLink(parts.s, chatActor(USERS.admin));
    const token = /\/sign-in\/([A-Za-z0-9_-]+)/.exec(parts.notifier.ofKind('dm').at(-1)!.view.text)![1]!;
    await client.post(`/sign-in/${token}`, { _csrf: csrfIn((await client.get(`/sign-in/${token}`)).body) });
    // A week inside the loaded span (the quick run's span is under 6 hours: its whole span).
    const week = options.quick ? { from: '2025-01-01', to: '2025-01-01' } : { from: '2025-01-03', to: '2025-01-09' };
    const cases = [
      pageCase({ client, parts, requests, entries, query: { ...week, type: 'environments' }, what: 'a week of one category' }),
      pageCase({ client, parts, requests, entries, query: { ...week, type: 'ttl.extended' }, what: 'a week of one event' }),
    ];
    return { cases };
  },
};

interface PageCaseInput {
  client: ConsoleClient;
  parts: Awaited<ReturnType<typeof attachServices>>;
  requests: number;
  entries: number;
  query: { from: string; to: string; type: string };
  what: string;
}

function pageCase(input: PageCaseInput): BenchCase {
  const name = `console Audit page, ${input.entries.toLocaleString('en-US')} entries, ${input.what}`;
  const path = `/settings/audit?${new URLSearchParams(input.query).toString()}`;
  return {
    name,
    figure: `\`GET ${path}\` as a signed-in admin through the console door (the session with its member's standing in one statement, then the chain state and the keyset page of 50 side by side, the HTML), ${input.requests} requests one after another`,
    baseline: `the page's own query (\`readAuditPage\`, same filters, 50 rows) from the same process; the last row against the ${AUDIT_PAGE_BUDGET_MS} ms budget`,
    metrics: [
      { key: 'p50', label: `${name}, p50`, unit: 'ms', better: 'lower', digits: 1 },
      { key: 'p99', label: `${name}, p99`, unit: 'ms', better: 'lower', digits: 1 },
      { key: 'p99Budget', label: `${name}, p99 against ${AUDIT_PAGE_BUDGET_MS} ms`, unit: 'ms', better: 'lower', target: 1, digits: 1 },
    ],
    async measure() {
      const page: number[] = [];
      for (let index = 0; index < input.requests; index += 1) {
        const started = performance.now();
        const response = await input.client.get(path);
        page.push(performance.now() - started);
        if (response.status !== 200 || !response.body.includes('data-entry-id')) throw new Error(`the Audit page answered ${response.status} without entries`);
      }
      const { filters } = readAuditQuery(input.query, new Date());
      const query: number[] = [];
      for (let index = 0; index < input.requests; index += 1) {
        const started = performance.now();
        const result = await readAuditPage(input.parts.s.db, filters, { size: 50 });
        query.push(performance.now() - started);
        if (result.entries.length !== 50) throw new Error(`the page query found ${result.entries.length} entries, not 50`);
      }
      const p99 = percentile(page, 99);
      return {
        p50: { figure: percentile(page, 50), baseline: percentile(query, 50) },
        p99: { figure: p99, baseline: percentile(query, 99) },
        p99Budget: { figure: p99, baseline: AUDIT_PAGE_BUDGET_MS },
      };
    },
  };
}
