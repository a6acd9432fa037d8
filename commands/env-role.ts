import { roleChangedView } from '../blocks/views/role-changed.js';
import type { MentionedUser, Reply } from '../src/chat/types.js';
import { parseRole, userKey, type Role } from '../src/domain/users.js';
import { setRole } from '../workflows/roles.js';
import { clip, parseArgs } from './args.js';
import { badArguments, withUsage, type CommandContext } from './context.js';
import { mentionedPerson } from './mentions.js';
import { ENV_USAGE } from './usage.js';

export interface RoleArgs {
  target: MentionedUser;
  role: Role;
}

/** `/env role <@user> <admin|approver|member>`: the user is a mention the door resolved. */
export function parseRoleArgs(text: string, mentions?: readonly MentionedUser[]): RoleArgs {
  const line = ENV_USAGE.role;
  return withUsage(line, () => {
    const { positionals } = parseArgs(text, {});
    const [targetText, roleText, extra] = positionals;
    if (targetText === undefined) throw badArguments('Whose role? Mention the user first.', line);
    const target = mentionedPerson(targetText, mentions);
    if (roleText === undefined) throw badArguments('Which role? admin, approver or member.', line);
    if (extra !== undefined) throw badArguments(`Unexpected "${clip(extra)}": give one user and one role.`, line);
    return { target, role: parseRole(roleText) };
  });
}

export async function runRole(ctx: CommandContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  const { target, role } = parseRoleArgs(text, invocation.mentions);
  ctx.audit.resource = { type: 'member', id: userKey({ platform: invocation.platform, id: target.id }) };
  const result = await setRole(s, {
    actor: ctx.actor,
    target: { platform: invocation.platform, id: target.id, name: target.name },
    role,
    requestId: invocation.requestId,
    channelId: invocation.channelId,
  });
  return { view: roleChangedView({ target, previous: result.previous, role: result.role }) };
}
