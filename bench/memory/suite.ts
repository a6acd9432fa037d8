import type { BenchSuite } from '../framework/types.js';
import { measureWorkerMemory, openPipelineStores } from '../pipeline/measure.js';
import type { WorkerMemory } from '../pipeline/worker-process.js';

const APPROVALS_IN_FLIGHT = 10;
/** docs/promises.md: a worker's RSS after 10,000 labs is at most this many times its RSS after 1,000. */
const TARGET_GROWTH = 1.2;
const MB = 1024 * 1024;

/**
 * A worker process's memory as labs go through it: its RSS after 1,000 labs from approval to running, against its RSS
 * after 10,000, both read in the process after a full garbage collection. Memory that grows with the labs a worker has
 * seen (a cache without a bound, a listener per job) shows as the ratio.
 */
export const memorySuite: BenchSuite = {
  name: 'memory',
  async open(options) {
    const [first, total] = options.quick ? [100, 1_000] : [1_000, 10_000];
    const stores = await openPipelineStores(options);
    const name = `worker RSS, ${total.toLocaleString('en-US')} labs against ${first.toLocaleString('en-US')}`;
    return {
      cases: [
        {
          name,
          figure: `RSS of one worker process (as \`npm run worker\`: \`startWorkers\`, local provisioner at zero delay, counting notifier) after ${total.toLocaleString('en-US')} labs from approval to running (\`decidePlan\`, ${APPROVALS_IN_FLIGHT} at a time), read in the process after a full garbage collection`,
          baseline: `the same process's RSS after its first ${first.toLocaleString('en-US')} labs, read the same way in the same run`,
          runs: 1,
          metrics: [{ key: 'rss', label: name, unit: 'MB', better: 'lower', digits: 1, target: TARGET_GROWTH }],
          async measure() {
            const figures = await measureWorkerMemory(stores.database, { first, total, approvalsInFlight: APPROVALS_IN_FLIGHT, redisUrl: stores.redis.url, firstIndex: 0 });
            const shown = (memory: WorkerMemory) => `RSS ${(memory.rssBytes / MB).toFixed(1)} MB, heap used ${(memory.heapUsedBytes / MB).toFixed(1)} MB`;
            options.log(`${name}: after ${first} labs ${shown(figures.afterFirst)}; after ${total} ${shown(figures.afterAll)}`);
            return { rss: { figure: figures.afterAll.rssBytes / MB, baseline: figures.afterFirst.rssBytes / MB } };
          },
        },
      ],
      close: () => stores.close(),
    };
  },
};
