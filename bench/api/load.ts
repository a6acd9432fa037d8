import { Agent, request } from 'node:http';
import { startChild, type ChildProcessHandle } from '../ack/child.js';

export interface GetLoadSpec {
  url: string;
  /** Headers of every request (the API key). */
  headers: Record<string, string>;
  inFlight: number;
  total: number;
}

export interface GetLoadResult {
  latenciesMs: number[];
  statuses: number[];
  /** The first answer, for the caller to check the requests did what they should. */
  sample: string;
  wallMs: number;
}

function get(agent: Agent, spec: GetLoadSpec): Promise<{ ms: number; status: number; text: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(spec.url, { method: 'GET', agent, headers: spec.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `total` GETs, at most `inFlight` at a time, each lane on a kept-alive connection opened by one unmeasured GET. */
export async function runGetLoad(spec: GetLoadSpec): Promise<GetLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.inFlight });
  const result: GetLoadResult = { latenciesMs: [], statuses: [], sample: '', wallMs: 0 };
  const primed = await Promise.all(Array.from({ length: spec.inFlight }, () => get(agent, spec)));
  const refused = primed.filter((answer) => answer.status !== 200).length;
  if (refused > 0) throw new Error(`${refused} of ${primed.length} priming requests were not answered 200: ${primed[0]?.text.slice(0, 200)}`);
  result.sample = primed[0]?.text ?? '';
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < spec.total) {
      const index = next++;
      const answer = await get(agent, spec);
      result.latenciesMs[index] = answer.ms;
      result.statuses[index] = answer.status;
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

export type GetLoadProcess = ChildProcessHandle<GetLoadSpec, GetLoadResult>;

/** The load generator in a process of its own, so it does not share the event loop of the server it measures. */
export function startGetLoadProcess(): Promise<GetLoadProcess> {
  return startChild<GetLoadSpec, GetLoadResult>(new URL('./load-process.ts', import.meta.url));
}
