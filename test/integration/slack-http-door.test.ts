import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackHttpDoor } from '../../src/chat/slack/http-door.js';
import type { SlackRequestHandler } from '../../src/chat/slack/listeners.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { SLACK_FORM_CONTENT_TYPE, slackSignature, slashCommandBody } from '../fakes/slack-signing.js';

/** The Slack door's ack with `processBeforeResponse`: the answer waits for the handler, and is sent whatever it does next. */
const SECRET = 'door-signing-secret';
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function doorAnswering(command: SlackRequestHandler): Promise<FastifyInstance> {
  const refuse: SlackRequestHandler = async () => {
    throw new Error('not in this test');
  };
  const door = new SlackHttpDoor({
    signingSecret: SECRET,
    processBeforeResponse: true,
    handle: { command, action: refuse, dialog: refuse },
    handlers: { recordRejected: async () => undefined },
    log: silentLogger,
    clock: systemClock,
  });
  door.start();
  app = Fastify();
  await app.register(door.door('/slack/events'));
  return app;
}

async function sendCommand(server: FastifyInstance) {
  const body = slashCommandBody({ userId: 'U1', userName: 'ana', command: '/env', text: 'list', channelId: 'C1', teamId: 'T1', responseUrl: 'https://hooks.invalid/1', triggerId: 't1' });
  const timestamp = Math.floor(Date.now() / 1000);
  return server.inject({
    method: 'POST',
    url: '/slack/events',
    headers: { 'content-type': SLACK_FORM_CONTENT_TYPE, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SECRET, timestamp, body) },
    payload: body,
  });
}

describe('the Slack HTTP door, answering once the handler is done', () => {
  it('sends the ack when the handler ends', async () => {
    const response = await sendCommand(await doorAnswering(async (_fields, ack) => ack({ text: 'your labs' })));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ text: 'your labs' });
  });

  it('still sends an ack given before the handler failed', async () => {
    const response = await sendCommand(
      await doorAnswering(async (_fields, ack) => {
        await ack({ text: 'acked first' });
        throw new Error('failed after its ack');
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ text: 'acked first' });
  });
});
