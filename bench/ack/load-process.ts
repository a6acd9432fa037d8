/** The load generator's process (see `startLoadProcess`). */
import { serveRequests } from './child.js';
import { runLoad, type LoadResult, type LoadSpec } from './load.js';

serveRequests<LoadSpec, LoadResult>(runLoad);
