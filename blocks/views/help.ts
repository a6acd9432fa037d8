import type { View } from '../view.js';
import { code } from './format.js';

export interface HelpLine {
  syntax: string;
  summary: string;
}

export interface HelpViewInput {
  title: string;
  entries: readonly HelpLine[];
  /** A closing remark: the duration format, where results go. */
  footer?: string;
}

/** Usage of a command family: one line per sub-command. */
export function helpView(input: HelpViewInput): View {
  const text = [input.title, ...input.entries.map((entry) => `${entry.syntax}: ${entry.summary}`), input.footer];
  return {
    text: text.filter((line) => line !== undefined).join('\n'),
    blocks: [
      { kind: 'header', text: input.title },
      { kind: 'list', items: input.entries.map((entry) => `${code(entry.syntax)}: ${entry.summary}`) },
      ...(input.footer ? [{ kind: 'context' as const, text: input.footer }] : []),
    ],
  };
}
