/** The ack bench's load generator process (see `startLoadProcess`). */
import { serveRequests } from '../framework/helper-process.js';
import type { LaneRun } from '../framework/lanes.js';
import { runLoad, type LoadSpec } from './load.js';

serveRequests<LoadSpec, LaneRun>(runLoad);
