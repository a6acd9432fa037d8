import { startChild, type ChildProcessHandle } from '../framework/helper-process.js';
import { runLanes, type HttpRequestSpec, type LaneRun } from '../framework/lanes.js';

export interface GetLoadSpec {
  url: string;
  /** Headers of every request (the API key). */
  headers: Record<string, string>;
  inFlight: number;
  total: number;
}

/** Sends `total` GETs, at most `inFlight` at a time, each lane on a kept-alive connection opened by one unmeasured GET. */
export function runGetLoad(spec: GetLoadSpec): Promise<LaneRun> {
  const get = (): HttpRequestSpec => ({ url: spec.url, method: 'GET', headers: spec.headers });
  return runLanes({ inFlight: spec.inFlight, total: spec.total, primer: get, request: get, keepAnswers: false });
}

export type GetLoadProcess = ChildProcessHandle<GetLoadSpec, LaneRun>;

/** The load generator in a process of its own, so it does not share the event loop of the server it measures. */
export function startGetLoadProcess(): Promise<GetLoadProcess> {
  return startChild<GetLoadSpec, LaneRun>(new URL('./load-process.ts', import.meta.url));
}
