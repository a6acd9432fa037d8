/** The API floor's process (see `startApiFloorProcess`): a bare Fastify route, alone, until the parent lets go. */
import { serveRequests } from '../ack/child.js';
import { startApiFloor, type ApiFloor, type ApiFloorSpec } from './floor.js';

let floor: ApiFloor | undefined;
serveRequests<ApiFloorSpec, string>(
  async (spec) => {
    floor ??= await startApiFloor(spec);
    return floor.url;
  },
  async () => {
    await floor?.stop();
  },
);
