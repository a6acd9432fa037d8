import { describeState } from '../../src/domain/lifecycle.js';
import type { Preset } from '../../src/domain/presets.js';
import type { EnvironmentModel } from '../models.js';
import type { View } from '../view.js';
import { envLabel, lifeSummary } from './env-summary.js';
import { code } from './format.js';

/** The destroy confirmation, and what replaces it once confirmed or cancelled. */

/** Asks before destroying: nothing happens until `Destroy now` is clicked. */
export function destroyConfirmView(env: EnvironmentModel, preset: Preset | undefined, now: Date): View {
  const question = `Destroy ${envLabel(env, preset)}? It is ${describeState(env.state)}, ${lifeSummary(env, now)}.`;
  const warning = 'Every tool of the lab and its data will be deleted. This cannot be undone.';
  return {
    text: `${question} ${warning}`,
    tone: 'warning',
    blocks: [
      { kind: 'text', text: question },
      { kind: 'context', text: warning },
      {
        kind: 'actions',
        buttons: [
          { actionId: 'destroyConfirm', label: 'Destroy now', style: 'danger', value: env.id },
          { actionId: 'destroyCancel', label: 'Cancel', value: env.id },
        ],
      },
    ],
  };
}

/** Replaces the destroy confirmation once the destroy has started. */
export function destroyingView(env: EnvironmentModel, preset: Preset | undefined): View {
  const text = `Destroying ${envLabel(env, preset)}. You will get a DM when it is gone.`;
  return { text, tone: 'warning', blocks: [{ kind: 'text', text }] };
}

/** Replaces the destroy confirmation when it is cancelled. */
export function destroyKeptView(envId: string): View {
  const text = `Kept ${code(envId)}: nothing was destroyed.`;
  return { text, tone: 'neutral', blocks: [{ kind: 'text', text }] };
}
