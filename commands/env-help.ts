import { helpView } from '../blocks/views/help.js';
import type { Reply } from '../src/chat/types.js';
import { AUDIT_USAGE, ENV_SUBCOMMANDS, ENV_USAGE } from './usage.js';

const FOOTER = 'Durations: 15m, 8h, 2d or combined like 1d12h. Environment ids look like env-7k2p9q.';

/** `/env help` (and `/env` alone): every sub-command with its usage, plus the audit export for admins. */
export function envHelp(): Reply {
  const entries = [...ENV_SUBCOMMANDS.map((subcommand) => ENV_USAGE[subcommand]), AUDIT_USAGE.export];
  return { view: helpView({ title: 'Aithroyz lab commands', entries, footer: FOOTER }) };
}

/** Every `/env` syntax, one per line: the hint when the sub-command is unknown. */
export function envUsageList(): string {
  return ENV_SUBCOMMANDS.map((subcommand) => `\`${ENV_USAGE[subcommand].syntax}\``).join('\n');
}
