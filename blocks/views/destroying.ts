import type { EnvironmentRow } from '../../src/db/schema/environments.js';
import type { Preset } from '../../src/domain/presets.js';
import type { View } from '../view.js';
import { envLabel } from './env-summary.js';

/** Replaces the destroy confirmation once the destroy has started. */
export function destroyingView(env: EnvironmentRow, preset: Preset | undefined): View {
  const text = `Destroying ${envLabel(env, preset)}. You will get a DM when it is gone.`;
  return { text, tone: 'warning', blocks: [{ kind: 'text', text }] };
}
