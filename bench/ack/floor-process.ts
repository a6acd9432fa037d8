/** A floor's process (see `startFloorProcess`): a bare Bolt app, alone, until the parent lets go. */
import { serveServer } from '../framework/helper-process.js';
import { startAckFloor } from './floor.js';

serveServer(startAckFloor);
