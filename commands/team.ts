import { helpView } from '../blocks/views/help.js';
import { invitedView, removedView, teamListView } from '../blocks/views/team.js';
import { roleChangedView } from '../blocks/views/role-changed.js';
import type { MentionedUser, Reply } from '../src/chat/types.js';
import { parseRole, ROLES, userKey, type Role } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import { invite } from '../workflows/invitations.js';
import { removeMember, setRole, listTeam } from '../workflows/team.js';
import type { TeamTarget } from '../workflows/team-change.js';
import { clip, isSubcommand, parseArgs, splitSubcommand } from './args.js';
import { badArguments, withUsage, type CommandContext } from './context.js';
import { mentionedPerson } from './mentions.js';
import { TEAM_SUBCOMMANDS, TEAM_USAGE, type TeamSubcommand, type UsageLine } from './usage.js';

type SubcommandHandler = (ctx: CommandContext, text: string) => Reply | Promise<Reply>;

const FOOTER =
  'Roles: member (requests and runs labs), approver (also approves or rejects plans), admin (also manages the team, sees every lab and the audit log). ' +
  'Invitations expire unanswered after a while; admins named in the ADMINS setting are changed there, not here.';

const TEAM_HANDLERS: Readonly<Record<TeamSubcommand, SubcommandHandler>> = {
  help: () => teamHelp(),
  list: runTeamList,
  invite: runInvite,
  role: runTeamRole,
  remove: runRemove,
};

/** `/team <sub-command> …`; `/team` alone lists the team. */
export async function runTeamCommand(ctx: CommandContext, text: string): Promise<Reply> {
  const { word, rest } = splitSubcommand(text);
  const subcommand = word === '' ? 'list' : word.toLowerCase();
  if (!isSubcommand(TEAM_SUBCOMMANDS, subcommand)) {
    throw new AppError('unknown_subcommand', `There is no \`/team ${clip(word)}\`.`, { hint: `Try one of:\n${teamUsageList()}` });
  }
  ctx.audit.details.subcommand = subcommand;
  return TEAM_HANDLERS[subcommand](ctx, rest);
}

export function teamHelp(): Reply {
  return { view: helpView({ title: 'Aithroyz team commands', entries: TEAM_SUBCOMMANDS.map((subcommand) => TEAM_USAGE[subcommand]), footer: FOOTER }) };
}

function teamUsageList(): string {
  return TEAM_SUBCOMMANDS.map((subcommand) => `\`${TEAM_USAGE[subcommand].syntax}\``).join('\n');
}

async function runTeamList(ctx: CommandContext, text: string): Promise<Reply> {
  withUsage(TEAM_USAGE.list, () => {
    const { positionals } = parseArgs(text, {});
    if (positionals.length > 0) throw badArguments(`Unexpected "${clip(positionals[0]!)}": \`/team list\` takes nothing more.`, TEAM_USAGE.list);
  });
  return { view: teamListView(await listTeam(ctx.s, ctx.actor)) };
}

interface PersonArgs {
  target: MentionedUser;
  role: Role | undefined;
}

/** `<@user> [role]`: the person is a mention the door resolved; `role` says whether a role must, may or must not follow. */
export function parsePersonArgs(text: string, mentions: readonly MentionedUser[] | undefined, line: UsageLine, role: 'required' | 'optional' | 'none'): PersonArgs {
  return withUsage(line, () => {
    const { positionals } = parseArgs(text, {});
    const [targetText, roleText, extra] = positionals;
    if (targetText === undefined) throw badArguments('Who? Mention them first, e.g. @alice.', line);
    const target = mentionedPerson(targetText, mentions);
    if (role === 'none') {
      if (roleText !== undefined) throw badArguments(`Unexpected "${clip(roleText)}": name one person only.`, line);
      return { target, role: undefined };
    }
    if (roleText === undefined && role === 'required') throw badArguments(`Which role? ${ROLES.join(', ')}.`, line);
    if (extra !== undefined) throw badArguments(`Unexpected "${clip(extra)}": give one person and one role.`, line);
    return { target, role: roleText === undefined ? undefined : parseRole(roleText) };
  });
}

function targetOf(ctx: CommandContext, user: MentionedUser): TeamTarget {
  const target = { platform: ctx.invocation.platform, id: user.id, name: user.name };
  ctx.audit.resource = { type: 'member', id: userKey(target) };
  return target;
}

async function runInvite(ctx: CommandContext, text: string): Promise<Reply> {
  const { target: user, role } = parsePersonArgs(text, ctx.invocation.mentions, TEAM_USAGE.invite, 'optional');
  const { invitation, replaced } = await invite(ctx.s, {
    actor: ctx.actor,
    target: targetOf(ctx, user),
    role: role ?? 'member',
    requestId: ctx.invocation.requestId,
    channelId: ctx.invocation.channelId,
  });
  return {
    view: invitedView(
      { ...invitation, invitedBy: { id: invitation.invitedBy, name: invitation.invitedByName } },
      replaced !== undefined,
    ),
  };
}

/** `/team role`, and `/env role` which answers the same with a pointer to where it moved. */
export async function runTeamRole(ctx: CommandContext, text: string, line: UsageLine = TEAM_USAGE.role): Promise<Reply> {
  const { target: user, role } = parsePersonArgs(text, ctx.invocation.mentions, line, 'required');
  const result = await setRole(ctx.s, {
    actor: ctx.actor,
    target: targetOf(ctx, user),
    role: role!,
    requestId: ctx.invocation.requestId,
    channelId: ctx.invocation.channelId,
  });
  return { view: roleChangedView({ target: user, previous: result.previous, role: result.role }) };
}

async function runRemove(ctx: CommandContext, text: string): Promise<Reply> {
  const { target: user } = parsePersonArgs(text, ctx.invocation.mentions, TEAM_USAGE.remove, 'none');
  const removal = await removeMember(ctx.s, {
    actor: ctx.actor,
    target: targetOf(ctx, user),
    requestId: ctx.invocation.requestId,
    channelId: ctx.invocation.channelId,
  });
  return { view: removedView(user, removal.activeLabs) };
}
