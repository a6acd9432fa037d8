import type { View } from '../view.js';
import { code } from './format.js';

/** Replaces the destroy confirmation when it is cancelled. */
export function destroyKeptView(envId: string): View {
  const text = `Kept ${code(envId)}: nothing was destroyed.`;
  return { text, tone: 'neutral', blocks: [{ kind: 'text', text }] };
}
