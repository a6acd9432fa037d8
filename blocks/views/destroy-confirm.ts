import type { EnvironmentRow } from '../../src/db/schema/environments.js';
import { describeState } from '../../src/domain/lifecycle.js';
import type { Preset } from '../../src/domain/presets.js';
import type { View } from '../view.js';
import { envLabel, lifeSummary } from './env-summary.js';

/** Asks before destroying: nothing happens until `Destroy now` is clicked. */
export function destroyConfirmView(env: EnvironmentRow, preset: Preset | undefined, now: Date): View {
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
