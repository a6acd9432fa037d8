import { ackSuite } from './ack/suite.js';
import { apiSuite } from './api/suite.js';
import { auditSuite } from './audit/suite.js';
import { consoleSuite } from './console/suite.js';
import type { BenchSuite } from './framework/types.js';
import { memorySuite } from './memory/suite.js';
import { pipelineSuite } from './pipeline/suite.js';
import { timersSuite } from './timers/suite.js';

/** Every suite `npm run bench` knows, in the order it runs them; `--only <name>` picks some. */
export const SUITES: readonly BenchSuite[] = [ackSuite, auditSuite, timersSuite, pipelineSuite, memorySuite, consoleSuite, apiSuite];
