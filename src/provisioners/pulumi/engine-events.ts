import type { automation } from '@pulumi/pulumi';
import type { LabEngineEvent } from './engine.js';
import { scrubEngineText } from './scrub.js';

/**
 * Reduces a Pulumi engine event to what progress needs: resource steps (planning steps of a preview are skipped) and
 * error or warning diagnostics, with credentials removed. Everything else (stdout, prelude, summary) is dropped.
 */
export function labEventOf(event: automation.EngineEvent, knownSecrets: readonly string[] = []): LabEngineEvent | undefined {
  const step = event.resourcePreEvent ?? event.resOutputsEvent;
  if (step && !step.planning) {
    const { urn, op } = step.metadata;
    return { type: event.resourcePreEvent ? 'resource-started' : 'resource-done', urn, op };
  }
  if (event.resOpFailedEvent) {
    const { urn, op } = event.resOpFailedEvent.metadata;
    return { type: 'resource-failed', urn, op };
  }
  const diagnostic = event.diagnosticEvent;
  if (diagnostic && (diagnostic.severity === 'error' || diagnostic.severity === 'warning')) {
    const message = scrubEngineText(diagnostic.message, knownSecrets).trim();
    return { type: 'diagnostic', severity: diagnostic.severity, message, ...(diagnostic.urn ? { urn: diagnostic.urn } : {}) };
  }
  return undefined;
}
