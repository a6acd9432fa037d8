import { startChild, type ChildProcessHandle } from '../framework/helper-process.js';
import { runLanes, type HttpRequestSpec, type LaneRun } from '../framework/lanes.js';
import { slackSignature, SLACK_FORM_CONTENT_TYPE } from '../../test/fakes/slack-signing.js';

export interface LoadSpec {
  url: string;
  secret: string;
  inFlight: number;
  /** Form bodies, sent in order, each signed at the moment it is sent. */
  bodies: string[];
  /** Sent first, one per lane, and not measured (see `Lanes.primer`). */
  primers: string[];
}

/** A slash command as Slack sends it: form-encoded, signed at the moment it is sent. */
function signed(spec: LoadSpec, body: string): HttpRequestSpec {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    url: spec.url,
    method: 'POST',
    headers: {
      'Content-Type': SLACK_FORM_CONTENT_TYPE,
      'Content-Length': Buffer.byteLength(body),
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': slackSignature(spec.secret, timestamp, body),
    },
    body,
  };
}

/** Sends every body as a signed Slack request, at most `inFlight` at a time, each lane on a kept-alive connection. */
export function runLoad(spec: LoadSpec): Promise<LaneRun> {
  if (spec.primers.length !== spec.inFlight) throw new Error(`one primer per lane: ${spec.inFlight} needed, ${spec.primers.length} given`);
  return runLanes({
    inFlight: spec.inFlight,
    total: spec.bodies.length,
    primer: (lane) => signed(spec, spec.primers[lane]!),
    request: (index) => signed(spec, spec.bodies[index]!),
    keepAnswers: true,
  });
}

export type LoadProcess = ChildProcessHandle<LoadSpec, LaneRun>;

/**
 * The load generator in a process of its own (load-process.ts), so sending requests and reading answers does not
 * share the event loop of the server being measured.
 */
export function startLoadProcess(): Promise<LoadProcess> {
  return startChild<LoadSpec, LaneRun>(new URL('./load-process.ts', import.meta.url));
}
