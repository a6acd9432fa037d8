import { loadConfig } from '../../src/config.js';
import { createTestDatabase } from '../../test/support/database.js';
import { TEST_REDIS_URL } from '../../test/support/redis.js';
import type { BenchCase, BenchSuite } from '../framework/types.js';
import { measureBareJobs, measurePipeline } from './measure.js';

const APPROVALS_IN_FLIGHT = 10;

/** Labs per second from approval to running, with one and with four worker processes, against bare BullMQ jobs. */
export const pipelineSuite: BenchSuite = {
  name: 'pipeline',
  async open(options) {
    const labs = options.quick ? 50 : 500;
    const database = await createTestDatabase();
    options.cleanup(() => database.drop());
    // Each set runs the app's default concurrency, as `npm run worker` would.
    const concurrency = loadConfig({}).WORKER_CONCURRENCY;
    let firstIndex = 0;
    const pipelineCase = (workerSets: number): BenchCase => {
      const name = `pipeline, ${workerSets} worker process${workerSets === 1 ? '' : 'es'}`;
      return {
        name,
        figure: `${labs} plans approved by \`decidePlan\` (${APPROVALS_IN_FLIGHT} at a time) until every lab is running: deploy jobs on ${workerSets} worker process${workerSets === 1 ? '' : 'es'} (\`startWorkers\`, WORKER_CONCURRENCY ${concurrency}), local provisioner at zero delay, counting notifier`,
        baseline: `${labs} bare BullMQ jobs through the same deploy queue, added ${APPROVALS_IN_FLIGHT} at a time, run by ${workerSets} bare worker${workerSets === 1 ? '' : 's'} of concurrency ${concurrency} (in the bench's process) whose processor does nothing`,
        runs: 3,
        metrics: [{ key: 'rate', label: name, unit: 'labs/s', better: 'higher', digits: 1 }],
        async measure() {
          const bare = await measureBareJobs({ labs, workerSets, approvalsInFlight: APPROVALS_IN_FLIGHT, redisUrl: TEST_REDIS_URL, concurrency });
          const rate = await measurePipeline(database, { labs, workerSets, approvalsInFlight: APPROVALS_IN_FLIGHT, redisUrl: TEST_REDIS_URL, firstIndex });
          firstIndex += labs;
          return { rate: { figure: rate, baseline: bare } };
        },
      };
    };
    return {
      cases: [pipelineCase(1), pipelineCase(4)],
      close: () => database.drop(),
    };
  },
};
