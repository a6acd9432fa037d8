/** The API bench's load generator process (see `startGetLoadProcess`). */
import { serveRequests } from '../ack/child.js';
import { runGetLoad, type GetLoadResult, type GetLoadSpec } from './load.js';

serveRequests<GetLoadSpec, GetLoadResult>(runGetLoad);
