import { z } from 'zod';
import { ACTION_IDS, DIALOG_IDS } from '../../../blocks/view.js';
import type { UserRef } from '../../domain/users.js';
import type { ActionInvocation, CommandInvocation, DialogSubmission, Invocation } from '../types.js';

/**
 * Turns verified Slack payloads into neutral invocations. The acting user is always the signed `user_id` /
 * `user.id`; a button's value is carried as data and never read as an identity. Payloads that are signed but
 * do not have the shape Slack documents come back as rejections, so they can be answered and audited.
 */

/** The slash commands the app registers (see slack/manifest.yaml). */
export const SLACK_COMMANDS = ['env', 'team', 'audit', 'cloudkey', 'apikey'] as const;

/** Where to answer a request besides its ack: the response_url and the trigger id for modals. */
export interface SlackReplyRoute {
  responseUrl: string | undefined;
  triggerId: string | undefined;
}

export interface SlackRejection {
  kind: Invocation['kind'];
  reason: string;
  user: UserRef | undefined;
  channelId: string | undefined;
}

export type Translation<T extends Invocation> =
  | { ok: true; invocation: T; route: SlackReplyRoute }
  | { ok: false; rejection: SlackRejection; route: SlackReplyRoute };

/** Request facts the adapter adds: our request id and when the request reached us. */
export interface RequestMeta {
  requestId: string;
  receivedAt: Date;
}

const slackId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
const optionalUrl = z.string().max(2000).optional();
const optionalTrigger = z.string().max(500).optional();

const commandBody = z.object({
  user_id: slackId,
  user_name: z.string().max(200).optional(),
  channel_id: slackId,
  command: z.string().max(100),
  text: z.string().max(40_000).default(''),
  response_url: optionalUrl,
  trigger_id: optionalTrigger,
});

const actingUser = z.object({ id: slackId, username: z.string().max(200).optional(), name: z.string().max(200).optional() });

const blockActionsBody = z.object({
  type: z.literal('block_actions'),
  user: actingUser,
  channel: z.object({ id: slackId }).optional(),
  container: z
    .object({ channel_id: slackId.optional(), message_ts: z.string().max(64).optional(), is_ephemeral: z.boolean().optional() })
    .optional(),
  message: z.object({ ts: z.string().max(64) }).optional(),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
  response_url: optionalUrl,
  trigger_id: optionalTrigger,
});

/** A text input's `value`, or a select's `selected_option`. */
const inputValue = z.object({ value: z.string().nullish(), selected_option: z.object({ value: z.string() }).nullish() });
const viewSubmissionBody = z.object({
  type: z.literal('view_submission'),
  user: actingUser,
  trigger_id: optionalTrigger,
  view: z.object({
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3000).default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), inputValue)) }).default({ values: {} }),
  }),
});

const dialogContext = z.object({ value: z.string().max(2000), channelId: z.string().max(64), responseUrl: z.string().max(2000).optional() });

function slackUser(id: string, name: string | undefined): UserRef {
  return { platform: 'slack', id, name: name && name.trim() !== '' ? name : id };
}

/** The user of any payload, read leniently: used only to say who sent a request we refused. */
function userOf(body: unknown): UserRef | undefined {
  const parsed = z
    .union([z.object({ user_id: slackId, user_name: z.string().optional() }), z.object({ user: actingUser })])
    .safeParse(body);
  if (!parsed.success) return undefined;
  return 'user' in parsed.data
    ? slackUser(parsed.data.user.id, parsed.data.user.username ?? parsed.data.user.name)
    : slackUser(parsed.data.user_id, parsed.data.user_name);
}

function channelOf(body: unknown): string | undefined {
  const parsed = z
    .object({ channel_id: slackId.optional(), channel: z.object({ id: slackId }).optional() })
    .safeParse(body);
  return parsed.success ? (parsed.data.channel?.id ?? parsed.data.channel_id) : undefined;
}

function routeOf(body: unknown): SlackReplyRoute {
  const parsed = z.object({ response_url: optionalUrl, trigger_id: optionalTrigger }).safeParse(body);
  return parsed.success
    ? { responseUrl: parsed.data.response_url, triggerId: parsed.data.trigger_id }
    : { responseUrl: undefined, triggerId: undefined };
}

/** A refusal of a signed body, naming whoever it says sent it (for the audit log). */
export function rejectionOf(kind: Invocation['kind'], body: unknown, reason: string): SlackRejection {
  return { kind, reason, user: userOf(body), channelId: channelOf(body) };
}

function rejected<T extends Invocation>(kind: Invocation['kind'], body: unknown, reason: string): Translation<T> {
  return { ok: false, rejection: rejectionOf(kind, body, reason), route: routeOf(body) };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`)
    .join('; ');
}

export function translateCommand(body: unknown, meta: RequestMeta): Translation<CommandInvocation> {
  const parsed = commandBody.safeParse(body);
  if (!parsed.success) return rejected('command', body, `malformed slash command (${describeIssues(parsed.error)})`);
  const command = parsed.data.command.replace(/^\//, '');
  if (!(SLACK_COMMANDS as readonly string[]).includes(command)) {
    return rejected('command', body, `unknown command /${command.slice(0, 40)}`);
  }
  return {
    ok: true,
    invocation: {
      kind: 'command',
      ...meta,
      platform: 'slack',
      user: slackUser(parsed.data.user_id, parsed.data.user_name),
      channelId: parsed.data.channel_id,
      command,
      text: parsed.data.text,
    },
    route: { responseUrl: parsed.data.response_url, triggerId: parsed.data.trigger_id },
  };
}

export function translateAction(body: unknown, meta: RequestMeta): Translation<ActionInvocation> {
  const parsed = blockActionsBody.safeParse(body);
  if (!parsed.success) return rejected('action', body, `malformed block_actions payload (${describeIssues(parsed.error)})`);
  const payload = parsed.data;
  const action = payload.actions[0]!;
  if (!(ACTION_IDS as readonly string[]).includes(action.action_id)) {
    return rejected('action', body, `unknown action ${action.action_id.slice(0, 40)}`);
  }
  const channelId = payload.channel?.id ?? payload.container?.channel_id ?? '';
  const messageTs = payload.message?.ts ?? payload.container?.message_ts;
  // Ephemeral messages cannot be edited with chat.update; they are replaced through the response_url instead.
  const editable = messageTs !== undefined && channelId !== '' && payload.container?.is_ephemeral !== true;
  return {
    ok: true,
    invocation: {
      kind: 'action',
      ...meta,
      platform: 'slack',
      user: slackUser(payload.user.id, payload.user.username ?? payload.user.name),
      channelId,
      actionId: action.action_id,
      value: action.value ?? '',
      message: editable ? { platform: 'slack', channelId, messageId: messageTs } : undefined,
    },
    route: { responseUrl: payload.response_url, triggerId: payload.trigger_id },
  };
}

export function translateViewSubmission(body: unknown, meta: RequestMeta): Translation<DialogSubmission> {
  const parsed = viewSubmissionBody.safeParse(body);
  if (!parsed.success) return rejected('dialog', body, `malformed view_submission payload (${describeIssues(parsed.error)})`);
  const { view, user } = parsed.data;
  if (!(DIALOG_IDS as readonly string[]).includes(view.callback_id)) {
    return rejected('dialog', body, `unknown dialog ${view.callback_id.slice(0, 40)}`);
  }
  const context = parseDialogContext(view.private_metadata);
  if (!context) return rejected('dialog', body, 'dialog private_metadata is not readable');
  return {
    ok: true,
    invocation: {
      kind: 'dialog',
      ...meta,
      platform: 'slack',
      user: slackUser(user.id, user.username ?? user.name),
      channelId: context.channelId,
      callbackId: view.callback_id,
      value: context.value,
      fields: dialogFields(view.state.values),
    },
    route: { responseUrl: context.responseUrl, triggerId: parsed.data.trigger_id },
  };
}

function parseDialogContext(text: string): z.infer<typeof dialogContext> | undefined {
  try {
    const parsed = dialogContext.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Input blocks are keyed by the neutral field name (block_id and action_id alike). */
function dialogFields(values: Record<string, Record<string, z.infer<typeof inputValue>>>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const inputs of Object.values(values)) {
    for (const [actionId, input] of Object.entries(inputs)) fields[actionId] = input.value ?? input.selected_option?.value ?? '';
  }
  return fields;
}
