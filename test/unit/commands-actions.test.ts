import { describe, expect, it } from 'vitest';
import { chatActor } from '../../src/domain/actor.js';
import { dispatch, on, TARGETS, type Target } from '../../commands/actions/index.js';
import type { HandlerContext } from '../../commands/context.js';
import type { ActionInvocation } from '../../src/chat/types.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { Services } from '../../src/services.js';

/** A kind of target that is not an environment, as the next capabilities bring (cloud keys). */
const cloudKey: Target<string> = {
  resourceType: 'cloud_key',
  parse(value) {
    if (!/^key-[a-z0-9]{6}$/.test(value)) throw new AppError('invalid_key_id', `"${value}" is not a cloud key id.`);
    return value;
  },
  idOf: (keyId) => keyId,
};

function click(actionId: string, value: string): HandlerContext<ActionInvocation> {
  const user = { platform: 'slack' as const, id: 'U0ADMIN', name: 'adam' };
  const invocation: ActionInvocation = { kind: 'action', requestId: 'r1', platform: 'slack', user, channelId: 'C1', receivedAt: new Date(), actionId, value, message: undefined };
  return { s: {} as Services, invocation, actor: chatActor(user), log: silentLogger, audit: { details: {} } };
}

describe('actions on targets of any kind', () => {
  const ran: string[] = [];
  const table = {
    rotateKey: on(cloudKey, (_ctx, keyId: string) => {
      ran.push(keyId);
      return { view: { text: `Rotating ${keyId}`, blocks: [] } };
    }),
  };
  const unknown = () => new AppError('unknown_action', 'not a button this bot knows');

  it('parse the value as their target and name it in the audit entry before they run', async () => {
    const ctx = click('rotateKey', 'key-7k2p9q');
    expect((await dispatch(table, ctx, 'rotateKey', 'key-7k2p9q', unknown)).view.text).toBe('Rotating key-7k2p9q');
    expect(ctx.audit.resource).toEqual({ type: 'cloud_key', id: 'key-7k2p9q' });
    expect(ran).toEqual(['key-7k2p9q']);
  });

  it('refuse a value that is not their kind of target without running', async () => {
    const ctx = click('rotateKey', 'env-7k2p9q');
    await expect(dispatch(table, ctx, 'rotateKey', 'env-7k2p9q', unknown)).rejects.toMatchObject({ code: 'invalid_key_id' });
    expect(ctx.audit.resource).toBeUndefined();
    expect(ran).toEqual(['key-7k2p9q']);
  });

  it('refuse ids that are not in the table, inherited object keys included', async () => {
    for (const id of ['nope', 'toString', '__proto__']) {
      await expect(dispatch(table, click(id, 'key-7k2p9q'), id, 'key-7k2p9q', unknown)).rejects.toMatchObject({ code: 'unknown_action' });
    }
  });

  it('read environment targets as environment ids', () => {
    expect(TARGETS.environment.parse(' ENV-7K2P9Q ')).toBe('env-7k2p9q');
    expect(() => TARGETS.environment.parse('key-7k2p9q')).toThrow(/not an environment id/);
  });
});
