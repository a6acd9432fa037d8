import type { IncomingHttpHeaders } from 'node:http';
import { HTTPModuleFunctions, isValidSlackRequest, type BufferedIncomingMessage } from '@slack/bolt';
import type { Invocation } from '../types.js';
import { rejectionOf, type SlackRejection } from './translate.js';

/**
 * Bolt's receiver answers only what a listener takes: a signed body no listener matches waits out Bolt's 3 s timeout
 * and gets a bare 404, unaudited, and some shapes (`payload=null`) make Bolt throw where nothing catches it. So signed
 * bodies are sorted here first, the way Bolt will route them, and those no listener of this app takes are refused
 * at once (400) and audited as `invalid`.
 */

/** The slash commands the command listener takes (any `/name`; translate.ts then checks the name). */
export const COMMAND_PATTERN = /^\/.+$/;

/** True when the request carries a valid Slack signature for this body (Bolt's own check). */
export function isSignedBySlack(signingSecret: string, headers: IncomingHttpHeaders, body: Buffer): boolean {
  const signature = headers['x-slack-signature'];
  const timestamp = Number(headers['x-slack-request-timestamp']);
  if (typeof signature !== 'string' || !Number.isFinite(timestamp)) return false;
  return isValidSlackRequest({
    signingSecret,
    body: body.toString(),
    headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
  });
}

/** The reason no listener would take this (signed) body, or undefined when Bolt should have it. */
export function unroutableBody(request: BufferedIncomingMessage): SlackRejection | undefined {
  let body: unknown;
  try {
    body = HTTPModuleFunctions.parseHTTPRequestBody(request);
  } catch {
    return rejectionOf(kindOfForm(request), formFields(request), 'the body is neither a Slack form nor JSON');
  }
  if (!isObject(body)) return rejectionOf(kindOfForm(request), undefined, 'the payload is not an object');
  const fields = body;
  // Answered by Bolt itself, before any listener.
  if (fields.ssl_check === '1' || fields.type === 'url_verification') return undefined;
  const refuse = (reason: string) => rejectionOf(kindOfBody(fields), fields, reason);
  // The order of Bolt's own routing (getTypeAndConversation): the first field that matches decides.
  if (fields.event !== undefined) return refuse('Events API payloads are not handled by this app');
  if (fields.command !== undefined) {
    return typeof fields.command === 'string' && COMMAND_PATTERN.test(fields.command) ? undefined : refuse('the command is not a /name');
  }
  if (fields.name !== undefined || fields.type === 'block_suggestion') return refuse('option requests are not handled by this app');
  if (fields.actions !== undefined || fields.type === 'dialog_submission') {
    if (fields.type !== 'block_actions') return refuse(`"${String(fields.type).slice(0, 40)}" interactions are not handled by this app`);
    // Bolt hands a click to listeners only when its first action is there (`actions[0]` truthy).
    return isObject(firstOf(fields.actions)) ? undefined : refuse('the click carries no action');
  }
  if (fields.type === 'view_submission') return undefined;
  return refuse('the payload is no slash command, button click or modal submission');
}

/** The refusal of a signed body that Bolt failed on, naming whoever it says sent it. */
export function rejectionFor(request: BufferedIncomingMessage, reason: string): SlackRejection {
  let body: unknown;
  try {
    body = HTTPModuleFunctions.parseHTTPRequestBody(request);
  } catch {
    body = formFields(request);
  }
  const fields = isObject(body) ? body : undefined;
  return rejectionOf(fields ? kindOfBody(fields) : kindOfForm(request), fields, reason);
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
