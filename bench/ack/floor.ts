import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver, type SlashCommand } from '@slack/bolt';
import { addSeconds } from 'date-fns';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { appendAudit } from '../../src/audit/append.js';
import { boltLogger } from '../../src/chat/slack/bolt-logger.js';
import { SLACK_EVENTS_PATH } from '../../src/chat/slack/platform.js';
import { systemClock } from '../../src/clock.js';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { newEnvId } from '../../src/domain/ids.js';
import { loadCatalog } from '../../src/domain/presets.js';
import { silentLogger } from '../../src/log.js';
import { redisOptions } from '../../src/queue/redis.js';
import { ownLabsWithFacts } from '../../workflows/environment-queries.js';
import { writePlan } from '../../workflows/request.js';
import { memberOf } from '../../workflows/roles.js';
import { startServerProcess, type ServerProcess } from '../framework/helper-process.js';

export interface AckFloorSpec {
  signingSecret: string;
  /** Set for the work floor: where the commands' statements and job go. */
  work?: { databaseUrl: string; redisUrl: string; queuePrefix: string; presetId: string; maxActivePerUser: number };
}

export interface AckFloor {
  /** Where to POST slash commands. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The floors of ack latency: a bare Bolt app on Bolt's own HTTPReceiver (signature check included), with the same
 * signing secret and logger as the bot. Without `work` its listener acks at once: nothing the bot does can be faster.
 * With `work` (the work floor) it first runs the statements the bot's command runs, through the same functions that
 * run them in the bot: for `/env list` the SELECT of the user's labs with their member row and the command's audit
 * entry; for `/env request` the read of the user's member row, the plan's statement (the quota lock and count, the
 * cloud key, the plan's row and its `plan.created` entry, in one statement), the command's entry, and one job add;
 * then it acks with a line of text. What the bot takes beyond the work floor is the cost of its framework, not of its
 * work.
 */
export async function startAckFloor(spec: AckFloorSpec): Promise<AckFloor> {
  const logger = boltLogger(silentLogger);
  const receiver = new HTTPReceiver({ signingSecret: spec.signingSecret, endpoints: SLACK_EVENTS_PATH, processBeforeResponse: false, logger });
  const app = new App({
    receiver: receiver as Receiver,
    token: 'xoxb-floor',
    botId: 'B0FLOOR',
    botUserId: 'U0FLOOR',
    tokenVerificationEnabled: false,
    convoStore: false,
    logger,
  });
  const work = spec.work ? await startWork(spec.work) : undefined;
  app.command(/^\/.+$/, async ({ ack, command }) => {
    await ack(work ? await work.run(command) : undefined);
  });
  const server = await receiver.start({ port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${SLACK_EVENTS_PATH}`,
    async stop() {
      await receiver.stop();
      await work?.stop();
    },
  };
}

interface Work {
  run(command: SlashCommand): Promise<string>;
  stop(): Promise<void>;
}

async function startWork(spec: NonNullable<AckFloorSpec['work']>): Promise<Work> {
  const database: Database = connectDatabase(spec.databaseUrl);
  const redis = new Redis(spec.redisUrl, redisOptions('producer'));
  const notify = new Queue('notify', { connection: redis, prefix: spec.queuePrefix });
  const preset = loadCatalog().get(spec.presetId);
  const rules = { clock: systemClock, maxActive: spec.maxActivePerUser };
  const userOf = (command: SlashCommand) => ({ platform: 'slack', id: command.user_id }) as const;
  const commandEntry = (command: SlashCommand) =>
    appendAudit(database.db, systemClock, {
      eventType: 'command.invoked',
      actor: { type: 'user', id: command.user_id, name: command.user_name },
      platform: 'slack',
      channelId: command.channel_id,
      outcome: 'ok',
      details: { command: command.command, text: command.text },
      requestId: command.trigger_id,
    });
  const list = async (command: SlashCommand) => {
    const { labs } = await ownLabsWithFacts(database.db, userOf(command));
    await commandEntry(command);
    return `${labs.length} labs`;
  };
  const request = async (command: SlashCommand) => {
    await memberOf(database.db, userOf(command));
    const now = systemClock.now();
    const values = {
      id: newEnvId(),
      presetId: preset.id,
      name: null,
      platform: 'slack',
      ownerId: command.user_id,
      ownerName: command.user_name,
      requestChannelId: command.channel_id,
      state: 'pending_approval',
      ttlSeconds: preset.defaultTtlSeconds,
      requestedAt: now,
      approvalDeadline: addSeconds(now, 3600),
      updatedAt: now,
    } as const;
    const env = await writePlan(database.db, rules, {
      preset,
      values,
      entry: {
        eventType: 'plan.created',
        actor: { type: 'user', id: command.user_id, name: command.user_name },
        channelId: command.channel_id,
        details: { preset: preset.id, ttl_seconds: values.ttlSeconds, name: null, approval: 'required' },
        requestId: command.trigger_id,
      },
    });
    await notify.add('notify', { envId: env.id, event: 'plan.created' }, { jobId: `notify-${env.id}-plan-created` });
    await commandEntry(command);
    return `${env.id} is waiting for approval`;
  };
  return {
    run: (command) => (command.text.startsWith('request') ? request(command) : list(command)),
    async stop() {
      await notify.close();
      redis.disconnect();
      await database.close();
    },
  };
}

/** A floor in a process of its own (floor-process.ts): it does not share the bot's heap or event loop. */
export function startFloorProcess(spec: AckFloorSpec): Promise<ServerProcess> {
  return startServerProcess(new URL('./floor-process.ts', import.meta.url), spec);
}
