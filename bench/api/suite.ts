import type { BenchCase, BenchSuite } from '../framework/types.js';
import { countingCpu, processCpuMs } from '../framework/cpu.js';
import type { ServerProcess } from '../framework/helper-process.js';
import { allAnswered, type LaneRun } from '../framework/lanes.js';
import { percentile } from '../framework/stats.js';
import { startApiFloorProcess } from './floor.js';
import { startGetLoadProcess, type GetLoadProcess } from './load.js';
import { API_BENCH_LABS, API_BENCH_OWNER, startApiSubject, type ApiSubject } from './subject.js';

const IN_FLIGHT = 50;

interface ApiSetup {
  load: GetLoadProcess;
  floor: ServerProcess;
  subject: ApiSubject;
  total: number;
}

/**
 * `GET /api/v1/environments` under 50 concurrent requests: the bot's web half (key check, role, rate limit in Redis,
 * the query, the `api.request` entry, zod serialisation) against a bare Fastify route that runs the same query and one
 * INSERT, each in its own process, driven by a load generator in a third.
 */
export const apiSuite: BenchSuite = {
  name: 'api',
  async open(options) {
    const total = options.quick ? 200 : 2000;
    const warmup = options.quick ? 100 : 500;
    const load = await startGetLoadProcess();
    options.cleanup(() => load.stop());
    const subject = await startApiSubject();
    options.cleanup(() => subject.stop());
    const floor = await startApiFloorProcess({ databaseUrl: subject.databaseUrl, owner: API_BENCH_OWNER });
    options.cleanup(() => floor.stop());
    const setup: ApiSetup = { load, floor, subject, total };
    options.log(`warming up with ${warmup} requests to each server`);
    allAnswered(await send(setup, 'floor', warmup), 'the floor');
    allAnswered(await send(setup, 'bot', warmup), 'the bot');
    return { cases: [listCase(setup)] };
  },
};

function listCase(setup: ApiSetup): BenchCase {
  const name = 'api GET /environments';
  let run = 0;
  return {
    name,
    figure: `\`GET /api/v1/environments\` with a read key (a member's ${API_BENCH_LABS} labs) through the bot's web half (\`startApp\`: the key and its owner's standing in one query, the per-key limit in Redis, the query, one \`api.request\` entry, problem+json and zod), ${setup.total} requests, ${IN_FLIGHT} in flight; CPU per request of the server's process`,
    baseline: 'a bare Fastify route in a process of its own running the same query and one audit INSERT on the same Postgres, same load',
    metrics: [
      { key: 'p50', label: `${name}, p50`, unit: 'ms', better: 'lower', digits: 1 },
      { key: 'p99', label: `${name}, p99`, unit: 'ms', better: 'lower', target: 1.5, digits: 1 },
      { key: 'cpu', label: `${name}, CPU per request`, unit: 'ms', better: 'lower', digits: 2 },
    ],
    async measure() {
      run += 1;
      const measureFloor = async () => countingCpu(setup.floor.cpuMs, async () => allAnswered(await send(setup, 'floor', setup.total), 'the floor'));
      const before = await setup.subject.requestsAudited();
      // Taking turns at going first, so neither always meets a machine the other just warmed or loaded.
      const first = run % 2 === 1 ? await measureFloor() : undefined;
      const bot = await countingCpu(processCpuMs, async () => allAnswered(await send(setup, 'bot', setup.total), 'the bot'));
      const floor = first ?? (await measureFloor());
      const audited = (await setup.subject.requestsAudited()) - before;
      if (audited !== setup.total + IN_FLIGHT) throw new Error(`${audited} api.request entries for ${setup.total + IN_FLIGHT} requests`);
      const listed = (JSON.parse(bot.result.firstAnswer) as { environments: unknown[] }).environments.length;
      if (listed !== API_BENCH_LABS) throw new Error(`the bot listed ${listed} labs, not ${API_BENCH_LABS}`);
      return {
        p50: { figure: percentile(bot.result.latenciesMs, 50), baseline: percentile(floor.result.latenciesMs, 50) },
        p99: { figure: percentile(bot.result.latenciesMs, 99), baseline: percentile(floor.result.latenciesMs, 99) },
        // Each run's primers are answered inside its CPU count too.
        cpu: { figure: bot.cpuMs / (setup.total + IN_FLIGHT), baseline: floor.cpuMs / (setup.total + IN_FLIGHT) },
      };
    },
  };
}

function send(setup: ApiSetup, target: 'bot' | 'floor', total: number): Promise<LaneRun> {
  const bot = target === 'bot';
  return setup.load.ask({
    url: bot ? setup.subject.url : setup.floor.url,
    headers: bot ? { authorization: `Bearer ${setup.subject.key}` } : {},
    inFlight: IN_FLIGHT,
    total,
  });
}
