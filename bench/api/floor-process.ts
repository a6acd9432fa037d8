/** The API floor's process (see `startApiFloorProcess`): a bare Fastify route, alone, until the parent lets go. */
import { serveServer } from '../framework/helper-process.js';
import { startApiFloor } from './floor.js';

serveServer(startApiFloor);
