import { z } from 'zod';
import type { UserRef } from '../../domain/users.js';

/**
 * The three requests a Mattermost server sends the bot, read into typed shapes: slash commands (form or query),
 * button clicks (JSON) and dialog submissions (JSON). Nothing here is trusted yet: callers verify the command token,
 * the button context or the dialog state before acting.
 */

/** Mattermost ids are 26 lowercase letters and digits; anything plain and short is accepted. */
const id = z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'must be a Mattermost id');
const optionalId = z.union([id, z.literal('')]).default('');
const name = z.string().max(128).default('');
/** A post is at most 16,383 characters; a command line cannot be longer. */
const COMMAND_TEXT_LIMIT = 16_383;

const commandFields = z.object({
  channel_id: id,
  user_id: id,
  user_name: name,
  team_id: optionalId,
  command: z.string().regex(/^\/?[A-Za-z0-9_.-]{1,128}$/, 'must be a slash command such as /env'),
  text: z.string().max(COMMAND_TEXT_LIMIT).default(''),
  trigger_id: z.string().max(2048).default(''),
});

export interface CommandRequest {
  user: UserRef;
  channelId: string;
  teamId: string;
  /** Without the leading slash. */
  command: string;
  text: string;
  triggerId: string;
}

const actionBody = z.object({
  user_id: id,
  user_name: name,
  channel_id: optionalId,
  team_id: optionalId,
  post_id: optionalId,
  trigger_id: z.string().max(2048).default(''),
  context: z.record(z.string(), z.unknown()).optional(),
});

export interface ActionRequest {
  user: UserRef;
  channelId: string;
  postId: string;
  triggerId: string;
  context: unknown;
}

const dialogBody = z.object({
  type: z.string().max(64).default('dialog_submission'),
  callback_id: z.string().max(128),
  state: z.string().max(4096).default(''),
  user_id: id,
  channel_id: optionalId,
  team_id: optionalId,
  submission: z.record(z.string().max(128), z.unknown()).default({}),
  cancelled: z.boolean().default(false),
});

export interface DialogRequest {
  userId: string;
  channelId: string;
  callbackId: string;
  state: string;
  fields: Record<string, string>;
  cancelled: boolean;
}

/**
 * Why a request is refused (it could not be read, or failed verification), with whatever identifies its sender
 * (unverified, for the audit log).
 */
export interface Rejection {
  ok: false;
  reason: string;
  userId?: string;
  userName?: string;
  channelId?: string;
}

export type Read<T> = { ok: true; value: T } | Rejection;

export function readCommandRequest(fields: URLSearchParams): Read<CommandRequest> {
  const parsed = commandFields.safeParse(Object.fromEntries(fields));
  if (!parsed.success) return rejectionOf(`malformed command request (${describeIssues(parsed.error)})`, fields.get('user_id'), fields.get('user_name'), fields.get('channel_id'));
  return mapped({ ok: true, value: parsed.data }, (data) => ({
    user: userOf(data),
    channelId: data.channel_id,
    teamId: data.team_id,
    command: data.command.replace(/^\//, ''),
    text: data.text,
    triggerId: data.trigger_id,
  }));
}

export function readActionRequest(body: Buffer): Read<ActionRequest> {
  return mapped(readJson(body, actionBody, 'action request'), (data) => ({
    user: userOf(data),
    channelId: data.channel_id,
    postId: data.post_id,
    triggerId: data.trigger_id,
    context: data.context,
  }));
}

export function readDialogRequest(body: Buffer): Read<DialogRequest> {
  return mapped(readJson(body, dialogBody, 'dialog submission'), (data) => ({
    userId: data.user_id,
    channelId: data.channel_id,
    callbackId: data.callback_id,
    state: data.state,
    fields: submissionFields(data.submission),
    cancelled: data.cancelled,
  }));
}

/** A read request turned into its typed shape; a rejection passes through. */
function mapped<T, U>(read: Read<T>, shape: (data: T) => U): Read<U> {
  return read.ok ? { ok: true, value: shape(read.value) } : read;
}

/** The sender, as Mattermost names them (the id when the name is missing). */
function userOf(data: { user_id: string; user_name: string }): UserRef {
  return { platform: 'mattermost', id: data.user_id, name: data.user_name || data.user_id };
}

/** Dialog values as text: the bot's dialogs have text fields only, so other shapes are dropped. */
function submissionFields(submission: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(submission)) {
    if (typeof value === 'string') fields[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') fields[key] = String(value);
  }
  return fields;
}

/** A JSON body read against its schema; `what` names the request in the reason when it is malformed. */
function readJson<T extends z.ZodType>(body: Buffer, schema: T, what: string): Read<z.output<T>> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : rejectionOfJson(`malformed ${what} (${describeIssues(parsed.error)})`, json);
}

function rejectionOfJson(reason: string, value: unknown): Rejection {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
  return rejectionOf(reason, text('user_id'), text('user_name'), text('channel_id'));
}

/** A rejection, keeping the sender's claimed ids when they are plain enough to log. */
export function rejectionOf(reason: string, userId?: string | null, userName?: string | null, channelId?: string | null): Rejection {
  const plain = (text: string | null | undefined) => (text && /^[A-Za-z0-9._-]{1,64}$/.test(text) ? text : undefined);
  return {
    ok: false,
    reason,
    ...(plain(userId) ? { userId: plain(userId) } : {}),
    ...(plain(userName) ? { userName: plain(userName) } : {}),
    ...(plain(channelId) ? { channelId: plain(channelId) } : {}),
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
