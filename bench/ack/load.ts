import { Agent, request } from 'node:http';
import { startChild, type ChildProcessHandle } from './child.js';
import { slackSignature, SLACK_FORM_CONTENT_TYPE } from '../../test/fakes/slack-signing.js';

export interface LoadSpec {
  url: string;
  secret: string;
  inFlight: number;
  /** Form bodies, sent in order, each signed at the moment it is sent. */
  bodies: string[];
  /**
   * Sent first, one per lane, and not measured: they open the lanes' connections, so the measured requests find them
   * open, as Slack's kept-alive connections would be.
   */
  primers: string[];
}

export interface LoadResult {
  /** Time from sending a request to the end of its answer, per request in send order. */
  latenciesMs: number[];
  statuses: number[];
  /** Answer bodies, for the caller to check the requests did what they should. */
  answers: string[];
  wallMs: number;
}

function send(agent: Agent, spec: LoadSpec, body: string): Promise<{ ms: number; status: number; text: string }> {
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      spec.url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': SLACK_FORM_CONTENT_TYPE,
          'Content-Length': Buffer.byteLength(body),
          'X-Slack-Request-Timestamp': String(timestamp),
          'X-Slack-Signature': slackSignature(spec.secret, timestamp, body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends every body as a signed Slack request, at most `inFlight` at a time, each lane on a kept-alive connection. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.primers.length !== spec.inFlight) throw new Error(`one primer per lane: ${spec.inFlight} needed, ${spec.primers.length} given`);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.inFlight });
  const result: LoadResult = { latenciesMs: [], statuses: [], answers: [], wallMs: 0 };
  const primed = await Promise.all(spec.primers.map((body) => send(agent, spec, body)));
  const refused = primed.filter((answer) => answer.status !== 200).length;
  if (refused > 0) throw new Error(`${refused} of ${primed.length} priming requests were not answered 200`);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < spec.bodies.length) {
      const index = next++;
      const answer = await send(agent, spec, spec.bodies[index]!);
      result.latenciesMs[index] = answer.ms;
      result.statuses[index] = answer.status;
      result.answers[index] = answer.text;
    }
  };
  try {
    await Promise.all(Array.from({ length: spec.inFlight }, lane));
  } finally {
    agent.destroy();
  }
  result.wallMs = performance.now() - started;
  return result;
}

export type LoadProcess = ChildProcessHandle<LoadSpec, LoadResult>;

/**
 * The load generator in a process of its own (load-process.ts), so sending requests and reading answers does not
 * share the event loop of the server being measured.
 */
export function startLoadProcess(): Promise<LoadProcess> {
  return startChild<LoadSpec, LoadResult>(new URL('./load-process.ts', import.meta.url));
}
