import { formatUtc } from '../../src/domain/time.js';
import type { View } from '../view.js';

/** The DM with a one-time sign-in link to the web console. */
export function consoleLinkView(input: { url: string; expiresAt: Date }): View {
  const text = `Your sign-in link to the Aithroyz console: ${input.url}`;
  const context = `It signs you in once, only as you, until ${formatUtc(input.expiresAt)}. Do not forward it; if you did not ask for it, ignore it.`;
  return { text, blocks: [{ kind: 'text', text }, { kind: 'context', text: context }] };
}

/** The answer to `/env console`: the link is on its way by DM. */
export function consoleLinkSentView(expiresAt: Date): View {
  const text = `I've sent you a sign-in link to the web console by direct message. It works once, until ${formatUtc(expiresAt)}.`;
  return { text, tone: 'good', blocks: [{ kind: 'text', text }] };
}
