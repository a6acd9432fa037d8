import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boltLogger } from '../../src/chat/slack/bolt-logger.js';
import { createLogger, redactSubmittedText } from '../../src/log.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

/** A Slack view submission as Bolt receives it, with the secret deep in `view.state.values`. */
const submission = {
  type: 'view_submission',
  user: { id: 'U0ADMIN' },
  view: {
    callback_id: 'cloudKeyAdd',
    private_metadata: '{"value":"new","channelId":"C1"}',
    state: {
      values: {
        accessKeyId: { accessKeyId: { type: 'plain_text_input', value: KEY_ID } },
        secretAccessKey: { secretAccessKey: { type: 'plain_text_input', value: `${SECRET} with "quotes" and } braces {` } },
      },
    },
  },
};

function capture(level = 'trace') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger(level, sink), lines };
}

describe('what people type into forms never reaches a log line', () => {
  it('is cut out of payloads logged as objects: Slack view state, Mattermost submissions, dialog fields', () => {
    const { log, lines } = capture();
    log.trace({ body: submission }, 'view submission');
    log.debug({ payload: { submission: { secretAccessKey: SECRET } } }, 'dialog');
    log.info({ invocation: { kind: 'dialog', callbackId: 'cloudKeyAdd', fields: { secretAccessKey: SECRET, accessKeyId: KEY_ID } } }, 'invocation');
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    expect(text).toContain('cloudKeyAdd');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY_ID);
  });

  it('is cut out of payloads quoted as text, as Bolt logs them, keeping the rest of the line', () => {
    const { log, lines } = capture();
    const bolt = boltLogger(log);
    bolt.debug('received a request:', submission);
    bolt.debug(`raw body ${JSON.stringify(submission)} done`);
    const text = lines.join('');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY_ID);
    expect(text).toContain('cloudKeyAdd');
    expect(text).toContain('done');
    expect(redactSubmittedText('{"a":1,"state":{"values":{"x":{"y":"z}"}}},"b":2}')).toBe('{"a":1,"state":{"values":"[redacted]"},"b":2}');
    expect(redactSubmittedText('{"submission":{"secret":"s"}}')).toBe('{"submission":"[redacted]"}');
    expect(redactSubmittedText('no payload here')).toBe('no payload here');
  });
});
