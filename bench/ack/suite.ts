import type { BenchCase, BenchSuite } from '../framework/types.js';
import { startFloorProcess, type AckFloor } from './floor.js';
import { startLoadProcess, type LoadProcess, type LoadResult } from './load.js';
import { percentile } from '../framework/stats.js';
import { ACK_SIGNING_SECRET, startAckSubject, type AckCommand, type AckSubject } from './subject.js';

/** Slack shows the user an error when a slash command is not answered within 3 s. */
export const SLACK_ACK_LIMIT_MS = 3000;
const IN_FLIGHT = 50;

interface AckSetup {
  load: LoadProcess;
  floor: AckFloor;
  subject: AckSubject;
  total: number;
}

/**
 * Ack latency of signed slash commands under 50 concurrent requests: the whole bot (its web half, as `startApp` runs
 * it) against a bare Bolt app that acks at once, each in its own process, driven by a load generator in a third.
 */
export const ackSuite: BenchSuite = {
  name: 'ack',
  async open(options) {
    const total = options.quick ? 200 : 1000;
    const warmup = options.quick ? 50 : 300;
    const load = await startLoadProcess();
    options.cleanup(() => load.stop());
    const floor = await startFloorProcess(ACK_SIGNING_SECRET);
    options.cleanup(() => floor.stop());
    const subject = await startAckSubject('web');
    options.cleanup(() => subject.stop());
    const setup: AckSetup = { load, floor, subject, total };
    options.log(`warming up with ${warmup} requests of each command to each server`);
    for (const command of ['list', 'request'] as const) {
      answered(await send(setup, floor.url, command, warmup, `W${command[0]}F`), 'the floor');
      answered(await send(setup, subject.url, command, warmup, `W${command[0]}B`), 'the bot');
    }
    return {
      cases: [ackCase(setup, 'list'), ackCase(setup, 'request')],
      async close() {
        await subject.stop();
        await floor.stop();
        await load.stop();
      },
    };
  },
};

function ackCase(setup: AckSetup, command: AckCommand): BenchCase {
  const name = `ack /env ${command}`;
  let run = 0;
  return {
    name,
    figure: `signed \`/env ${command}\` (form-encoded as Slack sends it) through the bot's web half (\`startApp\`: the Slack door of our Fastify server, then Bolt's HTTPReceiver, real Postgres and Redis), ${setup.total} requests, ${IN_FLIGHT} in flight${command === 'request' ? ', one user each' : ''}`,
    baseline: `a bare Bolt app (same HTTPReceiver, signing secret and logger) whose listener acks at once, same load; the last row against Slack's ${SLACK_ACK_LIMIT_MS / 1000} s limit`,
    runs: 3,
    metrics: [
      { key: 'p50', label: `${name}, p50`, unit: 'ms', better: 'lower', digits: 1 },
      { key: 'p99', label: `${name}, p99`, unit: 'ms', better: 'lower', target: 1.5, digits: 1 },
      { key: 'p99Limit', label: `${name}, p99 against Slack's 3 s`, unit: 'ms', better: 'lower', digits: 1 },
    ],
    async measure() {
      run += 1;
      const tag = `R${run}${command[0]}`;
      const measureFloor = async () => answered(await send(setup, setup.floor.url, command, setup.total, `${tag}F`), 'the floor');
      const measureBot = async () => answered(await send(setup, setup.subject.url, command, setup.total, `${tag}B`), 'the bot');
      // Taking turns at going first, so neither always meets a machine the other just warmed or loaded.
      const floor = run % 2 === 1 ? await measureFloor() : undefined;
      const bot = await measureBot();
      const floorResult = floor ?? (await measureFloor());
      await setup.subject.verify(command, `${tag}B`, setup.total);
      const botP99 = percentile(bot.latenciesMs, 99);
      return {
        p50: { figure: percentile(bot.latenciesMs, 50), baseline: percentile(floorResult.latenciesMs, 50) },
        p99: { figure: botP99, baseline: percentile(floorResult.latenciesMs, 99) },
        p99Limit: { figure: botP99, baseline: SLACK_ACK_LIMIT_MS },
      };
    },
  };
}

/** Sends `total` bodies of `command`, users tagged `tag`, after one primer per lane (users tagged `tag` + P). */
function send(setup: AckSetup, url: string, command: AckCommand, total: number, tag: string): Promise<LoadResult> {
  const bodies = setup.subject.bodies(command, total, tag);
  const primers = setup.subject.bodies(command, IN_FLIGHT, `${tag}P`);
  return setup.load.ask({ url, secret: ACK_SIGNING_SECRET, inFlight: IN_FLIGHT, bodies, primers });
}

/** A run whose requests were not all answered 200 measured something else. */
function answered(result: LoadResult, what: string): LoadResult {
  const failed = result.statuses.filter((status) => status !== 200).length;
  if (failed > 0) throw new Error(`${what}: ${failed} of ${result.statuses.length} requests were not answered 200`);
  return result;
}
