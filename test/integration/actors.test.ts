import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { apiKeyActor, chatActor, consoleActor, type ApiKeyRef } from '../../src/domain/actor.js';
import { isAppError } from '../../src/errors.js';
import { decidePlan } from '../../workflows/decide.js';
import { listEnvironments } from '../../workflows/environment-queries.js';
import { requestEnvironment } from '../../workflows/request.js';
import { createTestServices, USERS, type TestServices } from '../support/services.js';

/**
 * The core authorises and audits whoever acts, whichever door they came through: the chat user, the member signed in
 * to the console, or an API key acting for its owner (never with more than the owner's role, and a read key changes
 * nothing).
 */
let t: TestServices;
beforeAll(async () => {
  t = await createTestServices();
});
afterAll(async () => {
  await t.close();
});

const key = (scope: ApiKeyRef['scope']): ApiKeyRef => ({ id: `k-${scope}`, name: `ci ${scope}`, prefix: `aitz_${scope}Ab12`, scope });

async function entriesOf(envId: string, eventType: string) {
  return t.s.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.resourceId, envId), eq(auditLog.eventType, eventType)));
}

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('who acts, through which door', () => {
  it('an API key acts for its owner: the entry names the key and records the owner and the door', async () => {
    const plan = await requestEnvironment(t.s, {
      actor: apiKeyActor(USERS.alice, key('write')),
      channelId: '',
      presetId: 'soc-platform',
      requestId: 'api-1',
    });
    expect(plan.ownerId).toBe(USERS.alice.id);
    const [entry] = await entriesOf(plan.id, 'plan.created');
    expect(entry).toMatchObject({ actorType: 'api_key', actorId: 'aitz_writeAb12', actorName: 'ci write', platform: 'slack' });
    expect(entry!.details).toMatchObject({ door: 'api', owner: 'slack:UALICE', owner_name: 'alice', preset: 'soc-platform' });
  });

  it('a read key reads but changes nothing, whatever its owner may do', async () => {
    const reader = apiKeyActor(USERS.approver, key('read'));
    expect(await refusal(() => requestEnvironment(t.s, { actor: reader, channelId: '', presetId: 'soc-platform', requestId: 'api-2' }))).toBe(
      'read_only_key',
    );
    const [plan] = await listEnvironments(t.s, { actor: chatActor(USERS.alice), all: false });
    expect(await refusal(() => decidePlan(t.s, { envId: plan!.id, actor: reader, decision: 'approve', requestId: 'api-3' }))).toBe('read_only_key');
    expect((await listEnvironments(t.s, { actor: reader, all: false })).length).toBe(0);
  });

  it('the same rule holds through every door: nobody approves their own plan, a member approves nothing', async () => {
    const [plan] = await listEnvironments(t.s, { actor: chatActor(USERS.alice), all: false });
    for (const actor of [chatActor(USERS.alice), consoleActor(USERS.alice), apiKeyActor(USERS.alice, key('write'))]) {
      expect(await refusal(() => decidePlan(t.s, { envId: plan!.id, actor, decision: 'approve', requestId: `self-${actor.door}` }))).toBe('forbidden');
    }
    const decided = await decidePlan(t.s, { envId: plan!.id, actor: consoleActor(USERS.approver), decision: 'approve', requestId: 'console-1' });
    expect(decided.state).toBe('approved');
    const [entry] = await entriesOf(plan!.id, 'plan.approved');
    expect(entry).toMatchObject({ actorType: 'user', actorId: USERS.approver.id, platform: 'slack' });
    expect(entry!.details).toMatchObject({ door: 'console' });
  });
});
