import type { View } from '../view.js';
import { code, lines } from './format.js';

export interface ErrorViewInput {
  message: string;
  hint?: string;
  /** Shown as a reference line unless the message already carries it. */
  requestId?: string;
  /** `warning` for refusals the user can fix, `danger` for failures on our side. */
  tone: 'warning' | 'danger';
}

/** A refusal or failure: what was wrong, how to do it right, and the request id to quote to an admin. */
export function errorView(input: ErrorViewInput): View {
  const reference = input.requestId ? `Request id ${code(input.requestId)}` : undefined;
  return {
    text: lines(input.message, input.hint, reference),
    tone: input.tone,
    blocks: [
      { kind: 'text', text: input.message },
      ...(input.hint ? [{ kind: 'text' as const, text: input.hint }] : []),
      ...(reference ? [{ kind: 'context' as const, text: reference }] : []),
    ],
  };
}
