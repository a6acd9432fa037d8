import { loadConfig } from '../../src/config.js';
import type { BenchCase, BenchSuite, Measurement } from '../framework/types.js';
import { measureBareJobs, measurePipeline, openPipelineStores, redisCommands } from './measure.js';

const APPROVALS_IN_FLIGHT = 10;
/** docs/promises.md: one worker process takes at least this many labs a second from approval to running. */
const TARGET_LABS_PER_SECOND = 100;
/** The least a lab costs Postgres: one transaction per state change (approved, deploying, running). */
const STATE_CHANGES_PER_LAB = 3;

/**
 * Labs per second from approval to running, with one, two and four worker processes, against bare BullMQ jobs; with
 * one, the Postgres transactions and Redis commands each lab costs. On a redis-server of the bench's own, so that its
 * command counts are the bench's alone.
 */
export const pipelineSuite: BenchSuite = {
  name: 'pipeline',
  async open(options) {
    const labs = options.quick ? 50 : 1000;
    /** Labs each worker process takes before the clock starts. */
    const warmUpPerProcess = options.quick ? 10 : 1000;
    const stores = await openPipelineStores(options);
    const { redis, database } = stores;
    // Each set runs the app's default concurrency, as `npm run worker` would.
    const concurrency = loadConfig({}).WORKER_CONCURRENCY;
    let firstIndex = 0;
    const runPipeline = async (workerSets: number) => {
      await options.settle();
      const warmUpLabs = warmUpPerProcess * workerSets;
      const figures = await measurePipeline(database, { labs, warmUpLabs, workerSets, approvalsInFlight: APPROVALS_IN_FLIGHT, redisUrl: redis.url, firstIndex });
      firstIndex += warmUpLabs + labs;
      return figures;
    };
    let pairedRuns = 0;
    const pipelineCase = (workerSets: number): BenchCase => {
      const processes = `${workerSets} worker process${workerSets === 1 ? '' : 'es'}`;
      const name = `pipeline, ${processes}`;
      const metrics: BenchCase['metrics'] = [{ key: 'rate', label: name, unit: 'labs/s', better: 'higher', digits: 1 }];
      if (workerSets === 1) {
        metrics.push(
          { key: 'target', label: `${name}, against ${TARGET_LABS_PER_SECOND} labs/s`, unit: 'labs/s', better: 'higher', digits: 1, target: 1 },
          { key: 'transactions', label: 'pipeline, Postgres transactions per lab', unit: '', better: 'lower', digits: 1 },
          { key: 'commands', label: 'pipeline, Redis commands per lab', unit: '', better: 'lower', digits: 1 },
        );
      }
      if (workerSets === 2) metrics.push({ key: 'againstOne', label: `${name}, against 1`, unit: 'labs/s', better: 'higher', digits: 1, target: 1.1 });
      return {
        name,
        figure: `${labs} plans approved by \`decidePlan\` (${APPROVALS_IN_FLIGHT} at a time) until every lab is running, after ${warmUpPerProcess} unclocked per process: deploy jobs on ${processes} (\`startWorkers\`, WORKER_CONCURRENCY ${concurrency}), local provisioner at zero delay, counting notifier`,
        baseline: `${labs} bare BullMQ jobs through the same deploy queue, added ${APPROVALS_IN_FLIGHT} at a time, run by ${workerSets} bare worker${workerSets === 1 ? '' : 's'} of concurrency ${concurrency} (in the bench's process) whose processor does nothing${workerSets === 1 ? `; ${TARGET_LABS_PER_SECOND} labs/s; Postgres transactions: one per state change (${STATE_CHANGES_PER_LAB}); Redis commands: those of one bare job` : ''}${workerSets === 2 ? '; one worker process, measured beside the two in each run (before them in odd runs, after them in even runs)' : ''}`,
        metrics,
        async measure(): Promise<Measurement> {
          const commandsBefore = await redisCommands(redis.url);
          const bare = await measureBareJobs({ labs, workerSets, approvalsInFlight: APPROVALS_IN_FLIGHT, redisUrl: redis.url, concurrency });
          const bareCommandsPerJob = ((await redisCommands(redis.url)) - commandsBefore) / labs;
          // The two processes are held to one process measured beside them, in turn first and second, so that both
          // rates see the same machine: runs taken a minute apart differ more than the two do.
          const oneFirst = workerSets === 2 && pairedRuns++ % 2 === 0;
          const oneBefore = oneFirst ? await runPipeline(1) : undefined;
          const figures = await runPipeline(workerSets);
          options.log(`${name}: ${figures.transactionsPerLab.toFixed(1)} Postgres transactions and ${figures.redisCommandsPerLab.toFixed(1)} Redis commands per lab`);
          const rate = figures.labsPerSecond;
          if (workerSets === 1) {
            return {
              rate: { figure: rate, baseline: bare },
              target: { figure: rate, baseline: TARGET_LABS_PER_SECOND },
              transactions: { figure: figures.transactionsPerLab, baseline: STATE_CHANGES_PER_LAB },
              commands: { figure: figures.redisCommandsPerLab, baseline: bareCommandsPerJob },
            };
          }
          if (workerSets === 2) {
            const one = oneBefore ?? (await runPipeline(1));
            return { rate: { figure: rate, baseline: bare }, againstOne: { figure: rate, baseline: one.labsPerSecond } };
          }
          return { rate: { figure: rate, baseline: bare } };
        },
      };
    };
    return {
      cases: [pipelineCase(1), pipelineCase(2), pipelineCase(4)],
      close: () => stores.close(),
    };
  },
};
