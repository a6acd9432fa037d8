import { and, eq } from 'drizzle-orm';
import { chatActor } from '../../src/domain/actor.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { requestEnvironment } from '../../workflows/request.js';
import type { ChatUser } from '../fakes/slack-driver.js';
import type { SlackHarness } from '../fakes/slack-harness.js';
import { blockActionsPayload, interactionBody, postSigned } from '../fakes/slack-signing.js';
import { eventCounts, waitForState } from '../support/labs.js';
import { createTestServices, eventually, USERS, type TestServices } from '../support/services.js';
import { startSlackBot } from '../support/slack-bot.js';

/**
 * Twenty Approve clicks on one card, sent at once as signed Slack requests to the real HTTP endpoint (Bolt's receiver,
 * the adapter, commands, workflows): one decision, one deploy, twenty audit entries.
 */
let services: TestServices;
let harness: SlackHarness;
const approvers: ChatUser[] = [USERS.approver, USERS.admin];

beforeAll(async () => {
  services = await createTestServices();
  await services.startWorkers();
  harness = await startSlackBot(services, { mode: 'http', users: [USERS.alice, ...approvers] });
});
afterAll(async () => {
  await harness?.close();
  await services?.close();
});

describe('20 concurrent identical Approve clicks through the Slack endpoint', () => {
  it('give one decision, one deploy and 20 audit entries', async () => {
    const plan = await requestEnvironment(services.s, { actor: chatActor(USERS.alice), channelId: 'C0GENERAL', presetId: 'soc-platform', requestId: 'r0' });
    const card = await harness.driver.waitFor(() =>
      harness.driver.channel(harness.config.approvalsChannel).find((message) => message.text.includes(plan.id) && message.buttons.length > 0),
    );
    const approve = card.buttons.find((button) => button.actionId === 'approve')!;
    const click = (index: number) => {
      const user = approvers[index % approvers.length]!;
      const payload = blockActionsPayload({
        user,
        teamId: harness.fake.identity.teamId,
        channelId: card.channelId,
        message: { ts: card.id },
        action: { actionId: approve.actionId, value: approve.value },
        responseUrl: harness.fake.issueResponseUrl({ userId: user.id, channelId: card.channelId, messageTs: card.id }),
        triggerId: harness.fake.issueTrigger(user.id),
      });
      return postSigned(harness.eventsUrl, interactionBody(payload), { secret: harness.config.signingSecret });
    };

    const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => click(index)));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(new Set(answers.map((answer) => answer.requestId)).size).toBe(20);

    // Clicks are acked first and handled right after: wait for all twenty audit entries.
    const clicks = await eventually(async () => {
      const rows = await services.s.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.eventType, 'action.clicked'), eq(auditLog.resourceId, plan.id)));
      return rows.length >= 20 ? rows : undefined;
    }, 15_000, '20 click audit entries');
    expect(clicks).toHaveLength(20);
    expect(new Set(clicks.map((row) => row.requestId))).toEqual(new Set(answers.map((answer) => answer.requestId)));
    expect(clicks.filter((row) => row.outcome === 'ok')).toHaveLength(1);

    // Every clicker hears back: the nineteen late ones that the plan is already approved.
    const told = await eventually(async () => {
      const seen = approvers.flatMap((user) => harness.driver.ephemerals(user)).filter((message) => /already approved/i.test(message.text));
      return seen.length >= 19 ? seen : undefined;
    }, 10_000, '19 "already approved" answers');
    expect(told).toHaveLength(19);
    expect(await services.s.db.select().from(decisions).where(eq(decisions.envId, plan.id))).toHaveLength(1);
    await waitForState(services.s, plan.id, 'running');
    const counts = await eventCounts(services.s, plan.id);
    expect(counts).toMatchObject({ 'plan.approved': 1, 'deployment.started': 1, 'deployment.completed': 1 });
    const deployJobs = (await services.queue.jobCounts()).filter((row) => row.queue === 'deploy').reduce((sum, row) => sum + row.count, 0);
    expect(deployJobs).toBe(1);
  });
});
