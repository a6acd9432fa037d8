import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { forgetBuilds } from './built-project.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One id per `vitest run`: test files that need the built project share one build under it. */
    testRunId: string;
  }
}

/** Runs once per `vitest run`, before any test file and after the last. */
export default function setup(project: TestProject): () => Promise<void> {
  const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  project.provide('testRunId', runId);
  return () => forgetBuilds(runId);
}
