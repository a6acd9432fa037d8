import { roleChangedView } from '../blocks/views/role-changed.js';
import type { Reply } from '../src/chat/types.js';
import { parseRole, userKey, type Platform, type Role } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import { setRole } from '../workflows/roles.js';
import { clip, parseArgs } from './args.js';
import { badArguments, withUsage, type HandlerContext } from './context.js';
import { roleUsage } from './usage.js';

/** Platform user ids: Slack `U…`/`W…`; Mattermost 26 lowercase letters and digits. */
const USER_ID: Readonly<Record<Platform, RegExp>> = {
  slack: /^[UW][A-Z0-9]{2,20}$/,
  mattermost: /^[a-z0-9]{26}$/,
};
/** Slack's escaped mention: `<@U123>` or `<@U123|name>`. */
const SLACK_MENTION = /^<@([A-Za-z0-9]+)(?:\|([^<>|]*))?>$/;

export interface RoleTarget {
  id: string;
  name?: string;
}

export interface RoleArgs {
  target: RoleTarget;
  role: Role;
}

/** `/env role <@user or user id> <admin|approver|member>`. */
export function parseRoleArgs(text: string, platform: Platform): RoleArgs {
  const line = roleUsage(platform);
  return withUsage(line, () => {
    const { positionals } = parseArgs(text, {});
    const [targetText, roleText, extra] = positionals;
    if (targetText === undefined) throw badArguments('Whose role? Name the user first.', line);
    const target = parseRoleTarget(targetText, platform);
    if (roleText === undefined) throw badArguments('Which role? admin, approver or member.', line);
    if (extra !== undefined) throw badArguments(`Unexpected "${clip(extra)}": give one user and one role.`, line);
    return { target, role: parseRole(roleText) };
  });
}

/** The user a role command is about, from a Slack mention or a raw platform user id. */
export function parseRoleTarget(text: string, platform: Platform): RoleTarget {
  const mention = platform === 'slack' ? SLACK_MENTION.exec(text) : null;
  const id = mention ? mention[1]! : text;
  if (USER_ID[platform].test(id)) {
    const name = mention?.[2]?.trim();
    return name ? { id, name } : { id };
  }
  if (text.startsWith('@')) {
    throw new AppError(
      'user_id_required',
      platform === 'slack'
        ? `"${clip(text)}" is a name, not a user: pick the user from Slack’s mention menu so their id is sent, or give their user id (U…).`
        : `"${clip(text)}" is a username, and Mattermost does not send user ids with it: give the 26-character user id instead (System Console → Users shows it).`,
    );
  }
  throw new AppError(
    'invalid_user',
    platform === 'slack'
      ? `"${clip(text)}" is neither a mention nor a Slack user id (U…).`
      : `"${clip(text)}" is not a Mattermost user id (26 lowercase letters and digits).`,
  );
}

export async function runRole(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  const { target, role } = parseRoleArgs(text, invocation.platform);
  ctx.audit.resource = { type: 'member', id: userKey({ platform: invocation.platform, id: target.id }) };
  const result = await setRole(s, {
    actor: invocation.user,
    target: { platform: invocation.platform, ...target },
    role,
    requestId: invocation.requestId,
    channelId: invocation.channelId,
  });
  return { view: roleChangedView({ target, previous: result.previous, role: result.role }) };
}
