import type { BenchCase, BenchSuite } from '../framework/types.js';
import { countingCpu, processCpuMs } from '../framework/cpu.js';
import type { ServerProcess } from '../framework/helper-process.js';
import { allAnswered, type LaneRun } from '../framework/lanes.js';
import { percentile } from '../framework/stats.js';
import { startFloorProcess } from './floor.js';
import { startLoadProcess, type LoadProcess, type LoadSpec } from './load.js';
import { ACK_SIGNING_SECRET, REQUESTED_PRESET, startAckSubject, type AckCommand, type AckSubject } from './subject.js';

/** Slack shows the user an error when a slash command is not answered within 3 s. */
export const SLACK_ACK_LIMIT_MS = 3000;
const IN_FLIGHT = 50;

interface AckSetup {
  load: LoadProcess;
  /** The bare Bolt app that acks at once. */
  floor: ServerProcess;
  /** The bare Bolt app that runs the command's statements and job add, then acks. */
  workFloor: ServerProcess;
  subject: AckSubject;
  total: number;
}

/**
 * Ack latency of signed slash commands under 50 concurrent requests: the whole bot (its web half, as `startApp` runs
 * it) against a bare Bolt app that acks at once and against one that first does the command's work (the same
 * statements and job add), each in its own process, driven by a load generator in a fourth.
 */
export const ackSuite: BenchSuite = {
  name: 'ack',
  async open(options) {
    const total = options.quick ? 200 : 1000;
    const warmup = options.quick ? 50 : 300;
    const load = await startLoadProcess();
    options.cleanup(() => load.stop());
    const floor = await startFloorProcess({ signingSecret: ACK_SIGNING_SECRET });
    options.cleanup(() => floor.stop());
    const subject = await startAckSubject('web');
    options.cleanup(() => subject.stop());
    const workFloor = await startFloorProcess({
      signingSecret: ACK_SIGNING_SECRET,
      work: {
        databaseUrl: subject.databaseUrl,
        redisUrl: subject.app.services.config.REDIS_URL,
        queuePrefix: `${subject.queuePrefix}:floor`,
        presetId: REQUESTED_PRESET,
        maxActivePerUser: subject.app.services.config.MAX_ACTIVE_PER_USER,
      },
    });
    options.cleanup(() => workFloor.stop());
    const setup: AckSetup = { load, floor, workFloor, subject, total };
    options.log(`warming up with ${warmup} requests of each command to each server`);
    for (const command of ['list', 'request'] as const) {
      allAnswered(await send(setup, floor.url, command, warmup, `W${command[0]}F`), 'the floor');
      allAnswered(await send(setup, workFloor.url, command, warmup, `W${command[0]}W`), 'the work floor');
      allAnswered(await send(setup, subject.url, command, warmup, `W${command[0]}B`), 'the bot');
    }
    return { cases: [ackCase(setup, 'list'), ackCase(setup, 'request')] };
  },
};

function ackCase(setup: AckSetup, command: AckCommand): BenchCase {
  const name = `ack /env ${command}`;
  const work =
    command === 'list'
      ? "the SELECT of the user's labs with their member row and the command's audit entry"
      : "the read of the user's member row, the plan's statement (quota lock and count, cloud key, the plan's row and its `plan.created` entry), the command's entry and one job add";
  let run = 0;
  return {
    name,
    figure: `signed \`/env ${command}\` (form-encoded as Slack sends it) through the bot's web half (\`startApp\`: the Slack door of our Fastify server, which reads the body once and hands it to its handler, real Postgres and Redis), answered in the ack, ${setup.total} requests, ${IN_FLIGHT} in flight${command === 'request' ? ', one user each' : ''}; CPU per request of the server's process`,
    baseline: `a bare Bolt app (Bolt's own HTTPReceiver, same signing secret and logger) whose listener acks at once, same load; the work floor, the same bare app running ${work} before it acks; the third row against Slack's ${SLACK_ACK_LIMIT_MS / 1000} s limit`,
    metrics: [
      { key: 'p50', label: `${name}, p50`, unit: 'ms', better: 'lower', digits: 1 },
      { key: 'p99', label: `${name}, p99`, unit: 'ms', better: 'lower', digits: 1 },
      { key: 'p99Limit', label: `${name}, p99 against Slack's 3 s`, unit: 'ms', better: 'lower', digits: 1 },
      { key: 'p99Work', label: `${name}, p99 against the work floor`, unit: 'ms', better: 'lower', target: 1.5, digits: 1 },
      { key: 'cpuWork', label: `${name}, CPU per request against the work floor`, unit: 'ms', better: 'lower', digits: 2 },
    ],
    async measure() {
      run += 1;
      const tag = `R${run}${command[0]}`;
      // The bodies are made before the CPU is counted: the bot shares its process with this driver, which makes them.
      const measure = (url: string, cpuMs: () => number | Promise<number>, suffix: string, what: string) => async () => {
        const load = loadOf(setup, url, command, setup.total, `${tag}${suffix}`);
        return countingCpu(cpuMs, async () => allAnswered(await setup.load.ask(load), what));
      };
      const measureFloor = measure(setup.floor.url, setup.floor.cpuMs, 'F', 'the floor');
      const measureWork = measure(setup.workFloor.url, setup.workFloor.cpuMs, 'W', 'the work floor');
      const measureBot = measure(setup.subject.url, processCpuMs, 'B', 'the bot');
      // Taking turns at going first, so neither always meets a machine the other just warmed or loaded.
      const first = run % 2 === 1 ? { floor: await measureFloor(), work: await measureWork() } : undefined;
      const bot = await measureBot();
      const floor = first?.floor ?? (await measureFloor());
      const workFloor = first?.work ?? (await measureWork());
      await setup.subject.verify(command, `${tag}B`, setup.total);
      await setup.subject.verify(command, `${tag}W`, setup.total);
      answeredInTheAck(bot.result);
      const botP99 = percentile(bot.result.latenciesMs, 99);
      const perRequest = (cpuMs: number) => cpuMs / (setup.total + IN_FLIGHT);
      return {
        p50: { figure: percentile(bot.result.latenciesMs, 50), baseline: percentile(floor.result.latenciesMs, 50) },
        p99: { figure: botP99, baseline: percentile(floor.result.latenciesMs, 99) },
        p99Limit: { figure: botP99, baseline: SLACK_ACK_LIMIT_MS },
        p99Work: { figure: botP99, baseline: percentile(workFloor.result.latenciesMs, 99) },
        // Each run's primers are answered inside its CPU count too.
        cpuWork: { figure: perRequest(bot.cpuMs), baseline: perRequest(workFloor.cpuMs) },
      };
    },
  };
}

/** Sends `total` bodies of `command`, users tagged `tag`, after one primer per lane (users tagged `tag` + P). */
function send(setup: AckSetup, url: string, command: AckCommand, total: number, tag: string): Promise<LaneRun> {
  return setup.load.ask(loadOf(setup, url, command, total, tag));
}

function loadOf(setup: AckSetup, url: string, command: AckCommand, total: number, tag: string): LoadSpec {
  const bodies = setup.subject.bodies(command, total, tag);
  const primers = setup.subject.bodies(command, IN_FLIGHT, `${tag}P`);
  return { url, secret: ACK_SIGNING_SECRET, inFlight: IN_FLIGHT, bodies, primers };
}

/** The bot answers each command in its ack (not later through response_url): every ack carries a message. */
function answeredInTheAck(run: LaneRun): void {
  const bare = run.answers.filter((text) => !/"(blocks|text)"\s*:/.test(text)).length;
  if (bare > 0) throw new Error(`the bot acked ${bare} of ${run.answers.length} commands without its answer`);
}
