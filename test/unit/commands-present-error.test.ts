import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isUnavailable, presentError } from '../../commands/present-error.js';
import { AppError } from '../../src/errors.js';

function capturingLogger(): { log: pino.Logger; raw: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'debug' }, stream);
  return { log, raw: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('presentError', () => {
  it('shows an AppError with its message, hint and the request id; a fixable refusal is a warning', () => {
    const { log, lines } = capturingLogger();
    const presented = presentError(new AppError('invalid_duration', '"abc" is not a duration.', { hint: 'Usage: `/env extend`' }), 'req-1', log);
    expect(presented).toMatchObject({ outcome: 'invalid', code: 'invalid_duration' });
    expect(presented.view.tone).toBe('warning');
    expect(presented.view.text).toContain('"abc" is not a duration.');
    expect(presented.view.text).toContain('Usage: `/env extend`');
    expect(presented.view.text).toContain('req-1');
    expect(lines()).toHaveLength(0);
  });

  it('classes policy refusals as denied', () => {
    const { log } = capturingLogger();
    for (const code of ['forbidden', 'self_approval', 'quota_exceeded', 'not_owner']) {
      expect(presentError(new AppError(code, 'No.'), 'req-2', log).outcome).toBe('denied');
    }
  });

  it('names the request once in each line, whether or not the logger is already bound to it', () => {
    const { log, raw, lines } = capturingLogger();
    presentError(new Error('boom'), 'req-7', log);
    presentError(new Error('boom'), 'req-8', log.child({ requestId: 'req-8' }));
    const text = raw().split('\n').filter(Boolean);
    expect(text.map((line) => line.match(/"requestId"/g)?.length)).toEqual([1, 1]);
    expect(lines().map((line) => line.requestId)).toEqual(['req-7', 'req-8']);
  });

  it('classes a retryable AppError as an error, shows its message, and logs it', () => {
    const { log, lines } = capturingLogger();
    const presented = presentError(new AppError('unavailable', 'Postgres is restarting.', { retry: true }), 'req-3', log);
    expect(presented.outcome).toBe('error');
    expect(presented.view.tone).toBe('danger');
    expect(presented.view.text).toContain('Postgres is restarting.');
    expect(lines()[0]).toMatchObject({ requestId: 'req-3', code: 'unavailable' });
  });

  it('hides an unknown error behind "Something went wrong" with the request id, and logs it in full', () => {
    const { log, lines } = capturingLogger();
    const secret = new TypeError('Cannot read properties of undefined (reading "ownerId") at /srv/app/secret-path.ts');
    const presented = presentError(secret, 'req-4', log);
    expect(presented).toMatchObject({ outcome: 'error', code: 'internal' });
    expect(presented.view.text).toContain('Something went wrong (request id req-4)');
    expect(presented.view.text).not.toContain('ownerId');
    expect(presented.view.text).not.toContain('secret-path');
    const [line] = lines();
    expect(line).toMatchObject({ requestId: 'req-4', level: 50 });
    expect(JSON.stringify(line)).toContain('secret-path.ts');
    expect(JSON.stringify(line)).toContain('"stack"');
  });

  it('says "temporarily unavailable" when Postgres or Redis cannot be reached', () => {
    const { log } = capturingLogger();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const presented = presentError(new Error('query failed', { cause: refused }), 'req-5', log);
    expect(presented).toMatchObject({ outcome: 'error', code: 'unavailable' });
    expect(presented.view.text).toContain('temporarily unavailable');
    expect(presented.view.text).toContain('req-5');
  });

  it('treats non-Error throwables as unknown errors', () => {
    const { log } = capturingLogger();
    for (const thrown of ['a string', 42, null, undefined, { message: 'object' }]) {
      const presented = presentError(thrown, 'req-6', log);
      expect(presented.code).toBe('internal');
      expect(presented.view.text).toContain('req-6');
    }
  });
});

describe('isUnavailable', () => {
  it('recognises connection failures by code, message, cause and AggregateError members', () => {
    expect(isUnavailable(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).toBe(true);
  });

  it('does not mistake ordinary errors for outages, and stops on cause cycles', () => {
    expect(isUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    const cyclic = new Error('loop') as Error & { cause?: unknown };
    cyclic.cause = cyclic;
    expect(isUnavailable(cyclic)).toBe(false);
  });
});
