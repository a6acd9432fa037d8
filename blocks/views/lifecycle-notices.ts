import { formatDuration } from '../../src/domain/durations.js';
import type { Preset } from '../../src/domain/presets.js';
import { formatUtc } from '../../src/domain/time.js';
import type { Button, View } from '../view.js';
import type { EnvironmentModel, ToolProgressModel } from '../models.js';

/** The buttons of a running environment: in the ready DM and in every reminder. */
export function runningEnvironmentButtons(envId: string): Button[] {
  return [
    { actionId: 'extend1h', label: 'Extend +1h', value: envId },
    { actionId: 'extend4h', label: 'Extend +4h', value: envId },
    { actionId: 'destroy', label: 'Destroy', style: 'danger', value: envId },
  ];
}

const PROGRESS_WORDS: Record<ToolProgressModel['status'], string> = {
  started: 'deploying',
  ready: 'ready',
  failed: 'failed',
  destroyed: 'destroyed',
};

/** One line in the approval card's thread per tool step. */
export function progressView(envId: string, event: ToolProgressModel): View {
  const text = `${envId}: ${event.toolName} ${PROGRESS_WORDS[event.status]}${event.message ? ` (${event.message})` : ''}`;
  return { text, blocks: [{ kind: 'context', text }], tone: event.status === 'failed' ? 'danger' : 'neutral' };
}

/** Thread note when an environment's lifecycle moves on (deploy started, running, destroyed). */
export function threadNoteView(text: string): View {
  return { text, blocks: [{ kind: 'text', text }] };
}

/** DM to the owner: the environment is running, with its endpoints and buttons. */
export function environmentReadyView(env: EnvironmentModel, preset: Preset): View {
  const endpoints = preset.tools.map((tool) => `${tool.name}: ${env.endpoints[tool.id] ?? 'not reported'}`);
  const expiry = env.expiresAt ? formatUtc(env.expiresAt) : 'unknown';
  return {
    text: `Your lab ${env.id} (${preset.name}) is running until ${expiry}.`,
    tone: 'good',
    blocks: [
      { kind: 'header', text: `${env.id} is running` },
      { kind: 'text', text: `Your *${preset.name}* lab is ready. It expires at ${expiry} unless you extend it.` },
      { kind: 'list', items: endpoints },
      { kind: 'actions', buttons: runningEnvironmentButtons(env.id) },
    ],
  };
}

/** DM to the owner when the deploy failed after its retries. */
export function environmentFailedView(env: EnvironmentModel, preset: Preset): View {
  const reason = env.failureReason ?? 'unknown error';
  return {
    text: `Your lab ${env.id} (${preset.name}) failed to deploy: ${reason}. Anything it created is being cleaned up.`,
    tone: 'danger',
    blocks: [
      { kind: 'header', text: `${env.id} failed to deploy` },
      { kind: 'text', text: `The *${preset.name}* deploy failed: ${reason}` },
      { kind: 'context', text: 'Anything it created is being destroyed. You can request a new lab with `/env request`.' },
    ],
  };
}

/** DM to the owner before expiry. */
export function reminderView(env: EnvironmentModel, preset: Preset, offsetSeconds: number): View {
  const expiry = env.expiresAt ? formatUtc(env.expiresAt) : 'soon';
  const text = `Your lab ${env.id} (${preset.name}) expires in ${formatDuration(offsetSeconds)}, at ${expiry}.`;
  return {
    text,
    tone: 'warning',
    blocks: [
      { kind: 'text', text },
      { kind: 'context', text: `It can live until ${env.maxExpiresAt ? formatUtc(env.maxExpiresAt) : 'its maximum'} at most.` },
      { kind: 'actions', buttons: runningEnvironmentButtons(env.id) },
    ],
  };
}

/** DM to the owner once the environment is gone. */
export function environmentDestroyedView(env: EnvironmentModel, preset: Preset): View {
  const why =
    env.destroyReason === 'expired' ? 'expired and was destroyed'
      : env.destroyReason === 'deploy_failed' ? 'was cleaned up after its failed deploy'
        : 'was destroyed';
  const text = `Your lab ${env.id} (${preset.name}) ${why}.`;
  return { text, blocks: [{ kind: 'text', text }] };
}

/** DM to the owner and to admins when a destroy failed after its retries: resources may be left behind. */
export function destroyFailedView(env: EnvironmentModel, preset: Preset): View {
  const text = `Destroying ${env.id} (${preset.name}, owner ${env.ownerName}) failed after retries: ${env.failureReason ?? 'unknown error'}. Resources may be left behind.`;
  return {
    text,
    tone: 'danger',
    blocks: [
      { kind: 'header', text: `Destroy of ${env.id} failed` },
      { kind: 'text', text },
      { kind: 'context', text: `An admin can try again with \`/env destroy ${env.id}\`.` },
    ],
  };
}

/** DM to the requester after a decision. */
export function decisionDmView(env: EnvironmentModel, decisionText: string): View {
  const text = `Your lab request ${env.id}: ${decisionText}.`;
  return { text, blocks: [{ kind: 'text', text }], tone: env.state === 'approved' ? 'good' : 'danger' };
}
