/** The API bench's load generator process (see `startGetLoadProcess`). */
import { serveRequests } from '../framework/helper-process.js';
import { runGetLoad, type GetLoadSpec } from './load.js';
import type { LaneRun } from '../framework/lanes.js';

serveRequests<GetLoadSpec, LaneRun>(runGetLoad);
