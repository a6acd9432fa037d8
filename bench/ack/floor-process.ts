/** The floor's process (see `startFloorProcess`): a bare Bolt app, alone, until the parent lets go. */
import { serveRequests } from './child.js';
import { startAckFloor, type AckFloor } from './floor.js';

let floor: AckFloor | undefined;
serveRequests<{ signingSecret: string }, string>(
  async ({ signingSecret }) => {
    floor ??= await startAckFloor(signingSecret);
    return floor.url;
  },
  async () => {
    await floor?.stop();
  },
);
