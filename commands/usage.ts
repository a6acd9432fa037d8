export interface UsageLine {
  syntax: string;
  summary: string;
}

/** The sub-commands of `/env`, in the order help lists them. */
export const ENV_SUBCOMMANDS = ['help', 'presets', 'request', 'list', 'status', 'extend', 'destroy', 'role', 'console'] as const;
export type EnvSubcommand = (typeof ENV_SUBCOMMANDS)[number];

export const TEAM_SUBCOMMANDS = ['help', 'list', 'invite', 'role', 'remove'] as const;
export type TeamSubcommand = (typeof TEAM_SUBCOMMANDS)[number];

export const AUDIT_SUBCOMMANDS = ['help', 'export', 'verify', 'head'] as const;

export const CLOUDKEY_SUBCOMMANDS = ['help', 'list', 'add', 'rotate', 'delete', 'default'] as const;
export type CloudKeySubcommand = (typeof CLOUDKEY_SUBCOMMANDS)[number];
export type AuditSubcommand = (typeof AUDIT_SUBCOMMANDS)[number];

export const APIKEY_SUBCOMMANDS = ['help', 'create', 'list', 'revoke'] as const;
export type ApiKeySubcommand = (typeof APIKEY_SUBCOMMANDS)[number];

/** Usage of the `/env` sub-commands: the single source for help and refusals. */
export const ENV_USAGE: Readonly<Record<EnvSubcommand, UsageLine>> = {
  help: { syntax: '/env help', summary: 'this help' },
  presets: { syntax: '/env presets', summary: 'the lab presets with their tools, TTLs and cost' },
  request: { syntax: '/env request <preset> [--ttl 8h] [--name "My lab"]', summary: 'ask for a lab from a preset' },
  list: { syntax: '/env list [--all]', summary: 'your labs with state and time left (admins: --all for everyone’s)' },
  status: { syntax: '/env status <env-id>', summary: 'one lab: state, owner, endpoints, expiry, history' },
  extend: { syntax: '/env extend <env-id> <duration>', summary: 'move the expiry, e.g. /env extend env-7k2p9q 2h' },
  destroy: { syntax: '/env destroy <env-id>', summary: 'destroy a lab (asks for confirmation first)' },
  role: { syntax: '/env role <@user> <admin|approver|member>', summary: 'same as /team role, where it moved' },
  console: { syntax: '/env console', summary: 'a one-time link by DM that signs you in to the web console' },
};

/** Usage of the `/team` sub-commands. */
export const TEAM_USAGE: Readonly<Record<TeamSubcommand, UsageLine>> = {
  help: { syntax: '/team help', summary: 'this help' },
  list: { syntax: '/team list', summary: 'the team: roles, who added whom and when, pending invitations, removed people' },
  invite: {
    syntax: '/team invite <@user> [member|approver|admin]',
    summary: 'invite someone with a role (member by default): they accept or decline in a DM (admins only)',
  },
  role: { syntax: '/team role <@user> <member|approver|admin>', summary: 'change the role of someone in the team (admins only)' },
  remove: { syntax: '/team remove <@user>', summary: 'take someone out of the team; their labs keep running (admins only)' },
};

export const AUDIT_USAGE: Readonly<Record<AuditSubcommand, UsageLine>> = {
  help: { syntax: '/audit help', summary: 'this help' },
  export: {
    syntax: '/audit export [--from YYYY-MM-DD|ISO time] [--to YYYY-MM-DD|ISO time] [--type category-or-event,...] [--actor @user|user id]',
    summary: 'the audit log as CSV, sent to you by DM (admins only; the last 7 days by default)',
  },
  verify: {
    syntax: '/audit verify [--head <id>:<hash>]',
    summary: 'check every entry of the hash chain, and that a published head is still in it; the result comes by DM (admins only)',
  },
  head: {
    syntax: '/audit head',
    summary: 'publish the newest entry id and hash to the audit channel now, as is done daily (admins only)',
  },
};

/** Usage of `/cloudkey` (admins only). The pair itself is never typed: `add` and `rotate` open a form for it. */
export const CLOUDKEY_USAGE: Readonly<Record<CloudKeySubcommand, UsageLine>> = {
  help: { syntax: '/cloudkey help', summary: 'this help' },
  list: { syntax: '/cloudkey list', summary: 'the cloud keys: name, provider, masked access key id, account, region, who added and rotated them, labs using them' },
  add: { syntax: '/cloudkey add', summary: 'opens the form for a new key (name, provider, access key id, secret, region)' },
  rotate: { syntax: '/cloudkey rotate <name>', summary: 'opens the form for a key’s new pair; labs use it from their next operation' },
  delete: { syntax: '/cloudkey delete <name>', summary: 'delete a key no active lab uses (asks for confirmation first)' },
  default: { syntax: '/cloudkey default <name>', summary: 'the key labs deploy with when their preset names none' },
};

export const APIKEY_USAGE: Readonly<Record<ApiKeySubcommand, UsageLine>> = {
  help: { syntax: '/apikey help', summary: 'this help' },
  create: {
    syntax: '/apikey create <name> [--scope read|write] [--expires 90d]',
    summary: 'a key for the REST API that acts as you (read by default); it is shown to you once',
  },
  list: { syntax: '/apikey list [--all]', summary: 'your keys: name, prefix, scope, created, last used, expiry (admins: --all for everyone’s)' },
  revoke: { syntax: '/apikey revoke <name|prefix>', summary: 'stop a key at once (admins: anyone’s, by prefix)' },
};

/** "Usage: `/env extend <env-id> <duration>`", for the hint of an argument error. */
export function usageHint(line: UsageLine): string {
  return `Usage: \`${line.syntax}\``;
}
