import { helpView } from '../blocks/views/help.js';
import type { Reply } from '../src/chat/types.js';
import { AppError } from '../src/errors.js';
import { clip, isSubcommand, splitSubcommand } from './args.js';
import { runAuditExport } from './audit-export.js';
import { runAuditHead } from './audit-head.js';
import { runAuditVerify } from './audit-verify.js';
import type { CommandContext } from './context.js';
import { AUDIT_SUBCOMMANDS, AUDIT_USAGE, type AuditSubcommand } from './usage.js';

const FOOTER = 'Dates are UTC and inclusive: --to 2026-11-26 includes the whole day. --type takes a category or an event, comma-separated.';

function auditHelp(): Reply {
  return { view: helpView({ title: 'Audit log commands', entries: AUDIT_SUBCOMMANDS.map((name) => AUDIT_USAGE[name]), footer: FOOTER }) };
}

const AUDIT_HANDLERS: Readonly<Record<AuditSubcommand, (ctx: CommandContext, text: string) => Reply | Promise<Reply>>> = {
  help: () => auditHelp(),
  export: runAuditExport,
  verify: runAuditVerify,
  head: runAuditHead,
};

/** `/audit <sub-command> …`; `/audit` alone shows its help. */
export async function runAuditCommand(ctx: CommandContext, text: string): Promise<Reply> {
  const { word, rest } = splitSubcommand(text);
  if (word === '') return auditHelp();
  const subcommand = word.toLowerCase();
  if (!isSubcommand(AUDIT_SUBCOMMANDS, subcommand)) {
    const known = AUDIT_SUBCOMMANDS.map((name) => `\`${AUDIT_USAGE[name].syntax}\``).join('\n');
    throw new AppError('unknown_subcommand', `There is no \`/audit ${clip(word)}\`.`, { hint: `Try one of:\n${known}` });
  }
  ctx.audit.details.subcommand = subcommand;
  return AUDIT_HANDLERS[subcommand](ctx, rest);
}
