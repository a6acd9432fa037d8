import { auditSuite } from './audit/suite.js';
import type { BenchSuite } from './framework/types.js';

/** Every suite `npm run bench` knows, in the order it runs them; `--only <name>` picks some. */
export const SUITES: readonly BenchSuite[] = [auditSuite];
