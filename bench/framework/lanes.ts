import { Agent, request } from 'node:http';

/** One HTTP request as the load generator sends it. */
export interface HttpRequestSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string | number>;
  body?: string;
}

/** One answer: its time from sending to the end of its body, its status and its body. */
export interface Answer {
  ms: number;
  status: number;
  text: string;
}

export interface LaneRun {
  /** Per request, in send order. */
  latenciesMs: number[];
  statuses: number[];
  /** Answer bodies, in send order (only when `keepAnswers`). */
  answers: string[];
  /** The first primer's answer, for the caller to check the requests did what they should. */
  firstAnswer: string;
  wallMs: number;
}

export interface Lanes {
  /** Lanes, each on a kept-alive connection of its own: the requests in flight at once. */
  inFlight: number;
  /** How many measured requests to send. */
  total: number;
  /**
   * The request each lane opens its connection with, not measured (as a real client's kept-alive connection would be
   * open already); built when it is sent.
   */
  primer(lane: number): HttpRequestSpec;
  /** The measured request of `index`, built when it is sent (a signature holds the time of sending). */
  request(index: number): HttpRequestSpec;
  keepAnswers: boolean;
}

export function sendRequest(agent: Agent, spec: HttpRequestSpec): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(spec.url, { method: spec.method, agent, headers: spec.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(spec.body);
  });
}

/**
 * The load generator's loop: opens `inFlight` lanes with one unmeasured primer each (all answered 200, or it throws),
 * then sends the `total` measured requests, each lane taking the next one as soon as its last is answered.
 */
export async function runLanes(lanes: Lanes): Promise<LaneRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: lanes.inFlight });
  const run: LaneRun = { latenciesMs: [], statuses: [], answers: [], firstAnswer: '', wallMs: 0 };
  try {
    const primed = await Promise.all(Array.from({ length: lanes.inFlight }, (_, lane) => sendRequest(agent, lanes.primer(lane))));
    const refused = primed.filter((answer) => answer.status !== 200);
    if (refused.length > 0) throw new Error(`${refused.length} of ${primed.length} priming requests were not answered 200: ${refused[0]?.text.slice(0, 200)}`);
    run.firstAnswer = primed[0]?.text ?? '';
    let next = 0;
    const started = performance.now();
    const lane = async () => {
      while (next < lanes.total) {
        const index = next++;
        const answer = await sendRequest(agent, lanes.request(index));
        run.latenciesMs[index] = answer.ms;
        run.statuses[index] = answer.status;
        if (lanes.keepAnswers) run.answers[index] = answer.text;
      }
    };
    await Promise.all(Array.from({ length: lanes.inFlight }, lane));
    run.wallMs = performance.now() - started;
  } finally {
    agent.destroy();
  }
  return run;
}

/** A run whose requests were not all answered 200 measured something else: throws, naming `what` answered. */
export function allAnswered(run: LaneRun, what: string): LaneRun {
  const failed = run.statuses.filter((status) => status !== 200).length;
  if (failed > 0) throw new Error(`${what}: ${failed} of ${run.statuses.length} requests were not answered 200`);
  return run;
}
