import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { forgetBuilds } from './built-project.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One id per run of the tests: test files that need the built project share one build under it. */
    testRunId: string;
  }
}

/** Runs once per `vitest run` (and per watch session), before any test file and after the last. */
export default function setup(project: TestProject): () => Promise<void> {
  const runIds: string[] = [];
  const newRun = () => {
    const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    runIds.push(runId);
    project.provide('testRunId', runId);
  };
  newRun();
  // In watch mode every rerun builds again: the sources may have changed since.
  project.onTestsRerun(newRun);
  return async () => {
    for (const runId of runIds) await forgetBuilds(runId);
  };
}
