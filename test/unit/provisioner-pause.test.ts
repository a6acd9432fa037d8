import { describe, expect, it } from 'vitest';
import { pause } from '../../src/provisioners/pause.js';

describe('a provisioner step pause', () => {
  it('of zero goes on at once, without waiting for a timer', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('next turn of the event loop'));
    await pause(0, new AbortController().signal);
    order.push('paused');
    expect(order).toEqual(['paused']);
  });

  it('of zero still throws the reason of a signal aborted before it', async () => {
    const controller = new AbortController();
    controller.abort(new Error('time is up'));
    await expect(pause(0, controller.signal)).rejects.toThrow('time is up');
  });

  it('waits its time, and an abort ends the wait with the signal’s reason', async () => {
    const startedAt = Date.now();
    await pause(30, new AbortController().signal);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(25);
    const controller = new AbortController();
    const waiting = pause(60_000, controller.signal);
    controller.abort(new Error('worker stopping'));
    await expect(waiting).rejects.toThrow('worker stopping');
  });
});
