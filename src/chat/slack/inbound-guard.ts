import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseQueryString, type ParsedUrlQuery } from 'node:querystring';
import type { BufferedIncomingMessage } from '@slack/bolt';
import type { Invocation } from '../types.js';
import { MAX_TIMESTAMP_SKEW_SECONDS, SLACK_TIMESTAMP_HEADER } from './timestamp.js';
import { rejectionOf, type SlackRejection } from './translate.js';

/**
 * The door takes what Bolt's listeners of this app would take, and nothing else: signed bodies are sorted here, the
 * way Bolt routes them, and those no listener would take (which Bolt leaves to a bare 404 after 3 s, unaudited) are
 * refused at once (400) and audited as `invalid`.
 */

/** The slash commands this app takes (any `/name`; translate.ts then checks the name). */
export const COMMAND_PATTERN = /^\/.+$/;

/**
 * True when the request carries a valid Slack signature for this body, by Bolt's rules: version `v0`, the HMAC-SHA256
 * of `v0:<timestamp>:<body>` under the signing secret, and a timestamp at most five minutes old (the future side is
 * `futureTimestampProblem`'s). One HMAC, compared in constant time (Bolt's check takes three).
 */
export function isSignedBySlack(signingSecret: string, headers: IncomingHttpHeaders, body: Buffer, nowMs: number = Date.now()): boolean {
  const signature = headers['x-slack-signature'];
  const timestamp = Number(headers[SLACK_TIMESTAMP_HEADER]);
  if (typeof signature !== 'string' || !Number.isFinite(timestamp)) return false;
  if (timestamp < Math.floor(nowMs / 1000) - MAX_TIMESTAMP_SKEW_SECONDS) return false;
  const [version, given] = signature.split('=');
  if (version !== 'v0' || !given) return false;
  const expected = Buffer.from(createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body.toString()}`).digest('hex'));
  const received = Buffer.from(given);
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** A body as Bolt reads it: a form (its `payload` field's JSON when it has one) or else JSON; not ok when unreadable. */
export type ReadBody = { ok: true; value: unknown } | { ok: false };

/**
 * The form of a request sent as one (`application/x-www-form-urlencoded`, exactly, as Bolt reads it), parsed once.
 * Bolt parses it before the signature is checked, for Slack's SSL check (`ssl_check=1`), which comes unsigned; so
 * does the door, and nothing else of a body is read before its signature holds.
 */
export function formOf(request: BufferedIncomingMessage): ParsedUrlQuery | undefined {
  return request.headers['content-type'] === 'application/x-www-form-urlencoded' ? parseQueryString(request.rawBody.toString()) : undefined;
}

/** A signed body as Bolt reads it: its form's `payload` field as JSON, or the form itself; JSON when it is no form. */
export function readBody(request: BufferedIncomingMessage, form: ParsedUrlQuery | undefined): ReadBody {
  if (!form) return parsedJson(request.rawBody.toString());
  return typeof form.payload === 'string' ? parsedJson(form.payload) : { ok: true, value: form };
}

function parsedJson(text: string): ReadBody {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * What to do with a signed body: answer it at the door (Slack's SSL check and URL verification, which Bolt answers
 * before any listener), hand its fields to the handler of its kind, or refuse it (no listener would take it).
 */
export type Sorted =
  | { take: true; fields: Record<string, unknown>; kind: Invocation['kind'] | 'door' }
  | { take: false; rejection: SlackRejection };

export function sortSignedBody(request: BufferedIncomingMessage, read: ReadBody): Sorted {
  if (!read.ok) return refused(rejectionOf(kindOfForm(request), formFields(request), 'the body is neither a Slack form nor JSON'));
  const body = read.value;
  if (!isObject(body)) return refused(rejectionOf(kindOfForm(request), undefined, 'the payload is not an object'));
  const fields = body;
  const take = (kind: Invocation['kind'] | 'door'): Sorted => ({ take: true, fields, kind });
  if (fields.ssl_check === '1' || fields.type === 'url_verification') return take('door');
  const refuse = (reason: string) => refused(rejectionOf(kindOfBody(fields), fields, reason));
  // The order of Bolt's own routing (getTypeAndConversation): the first field that matches decides.
  if (fields.event !== undefined) return refuse('Events API payloads are not handled by this app');
  if (fields.command !== undefined) {
    return typeof fields.command === 'string' && COMMAND_PATTERN.test(fields.command) ? take('command') : refuse('the command is not a /name');
  }
  if (fields.name !== undefined || fields.type === 'block_suggestion') return refuse('option requests are not handled by this app');
  if (fields.actions !== undefined || fields.type === 'dialog_submission') {
    if (fields.type !== 'block_actions') return refuse(`"${String(fields.type).slice(0, 40)}" interactions are not handled by this app`);
    // Bolt hands a click to listeners only when its first action is there (`actions[0]` truthy).
    return isObject(firstOf(fields.actions)) ? take('action') : refuse('the click carries no action');
  }
  if (fields.type === 'view_submission') return take('dialog');
  return refuse('the payload is no slash command, button click or modal submission');
}

function refused(rejection: SlackRejection): Sorted {
  return { take: false, rejection };
}

function kindOfBody(fields: Record<string, unknown>): Invocation['kind'] {
  if (fields.command !== undefined) return 'command';
  return fields.type === 'view_submission' ? 'dialog' : 'action';
}

/** Forms without a `payload` field are slash commands; everything else is an interaction. */
function kindOfForm(request: BufferedIncomingMessage): Invocation['kind'] {
  const fields = formFields(request);
  return fields && !('payload' in fields) ? 'command' : 'action';
}

/** The fields of a form body, whatever parameters its content type carries (only to name the sender of a refusal). */
function formFields(request: BufferedIncomingMessage): Record<string, string> | undefined {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') return undefined;
  return Object.fromEntries(new URLSearchParams(request.rawBody.toString()));
}

function firstOf(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
