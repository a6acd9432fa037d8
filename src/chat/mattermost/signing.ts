import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ACTION_IDS, type ActionId, type Button } from '../../../blocks/view.js';
import type { Clock } from '../../clock.js';

/**
 * Mattermost posts button clicks and dialog submissions unsigned, so what the bot needs back travels with an HMAC
 * it checks: buttons carry a signed `context` (kept server side by Mattermost), dialogs a signed `state` (which
 * passes through the user's client, so it is also bound to the user and expires).
 */

export type ActionContext = {
  actionId: string;
  value: string;
  issuedAt: string;
  nonce: string;
  signature: string;
};

export interface VerifiedAction {
  actionId: ActionId;
  value: string;
  issuedAt: Date;
}

export type Verified<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A context signed now is still accepted when the signer's clock ran this far ahead of ours. */
const CLOCK_SKEW_MS = 5 * 60_000;
export const DIALOG_STATE_MAX_AGE_MS = 60 * 60_000;
const ACTION_DOMAIN = 'aithroyz.mattermost.action.v1';
const DIALOG_DOMAIN = 'aithroyz.mattermost.dialog.v1';
/** Button values are environment ids or other short plain tokens; nothing else is ever signed. */
const VALUE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;

function hmac(secret: string, fields: readonly string[]): string {
  // JSON of an array: no delimiter can be smuggled from one field into the next.
  return createHmac('sha256', secret).update(JSON.stringify(fields)).digest('hex');
}

/** Constant-time comparison of two hex signatures; false for anything malformed. */
function signaturesMatch(expected: string, given: string): boolean {
  if (!SIGNATURE_PATTERN.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

export function signActionContext(secret: string, button: Pick<Button, 'actionId' | 'value'>, clock: Clock): ActionContext {
  const issuedAt = clock.now().toISOString();
  const nonce = randomBytes(12).toString('base64url');
  const signature = hmac(secret, [ACTION_DOMAIN, button.actionId, button.value, issuedAt, nonce]);
  return { actionId: button.actionId, value: button.value, issuedAt, nonce, signature };
}

const actionContextShape = z.object({
  actionId: z.string(),
  value: z.string(),
  issuedAt: z.string(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  signature: z.string(),
});

/** Checks a click's context: well formed, signed by us over exactly these fields, a known action, not from the future. */
export function verifyActionContext(secret: string, context: unknown, clock: Clock): Verified<VerifiedAction> {
  const parsed = actionContextShape.safeParse(context);
  if (!parsed.success) return { ok: false, reason: 'the button context is missing or malformed' };
  const { actionId, value, issuedAt, nonce, signature } = parsed.data;
  const expected = hmac(secret, [ACTION_DOMAIN, actionId, value, issuedAt, nonce]);
  if (!signaturesMatch(expected, signature)) return { ok: false, reason: 'the button signature does not match' };
  if (!isActionId(actionId)) return { ok: false, reason: `unknown action "${actionId.slice(0, 40)}"` };
  if (!VALUE_PATTERN.test(value)) return { ok: false, reason: 'the button value is malformed' };
  const issued = parseIssuedAt(issuedAt, clock);
  if (!issued) return { ok: false, reason: 'the button was issued at an impossible time' };
  return { ok: true, value: { actionId, value, issuedAt: issued } };
}

function isActionId(text: string): text is ActionId {
  return (ACTION_IDS as readonly string[]).includes(text);
}

function parseIssuedAt(text: string, clock: Clock): Date | undefined {
  const issued = new Date(text);
  if (Number.isNaN(issued.getTime()) || issued.toISOString() !== text) return undefined;
  return issued.getTime() > clock.now().getTime() + CLOCK_SKEW_MS ? undefined : issued;
}

export interface DialogState {
  callbackId: string;
  value: string;
  /** The user the dialog was opened for: a submission by anyone else is refused. */
  userId: string;
}

/** `state` for a dialog: base64url JSON of the fields and the time, a dot, the HMAC. */
export function signDialogState(secret: string, state: DialogState, clock: Clock): string {
  const fields = [state.callbackId, state.value, state.userId, clock.now().toISOString()];
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${hmac(secret, [DIALOG_DOMAIN, ...fields])}`;
}

const dialogFieldsShape = z.tuple([z.string(), z.string(), z.string(), z.string()]);

export function verifyDialogState(secret: string, state: unknown, clock: Clock): Verified<DialogState & { issuedAt: Date }> {
  if (typeof state !== 'string' || state.length > 2048) return { ok: false, reason: 'the dialog state is missing or malformed' };
  const [payload = '', signature = '', ...rest] = state.split('.');
  const fields = rest.length === 0 ? decodeFields(payload) : undefined;
  if (!fields) return { ok: false, reason: 'the dialog state is missing or malformed' };
  if (!signaturesMatch(hmac(secret, [DIALOG_DOMAIN, ...fields]), signature)) {
    return { ok: false, reason: 'the dialog signature does not match' };
  }
  const [callbackId, value, userId, issuedAtText] = fields;
  const issuedAt = parseIssuedAt(issuedAtText, clock);
  if (!issuedAt) return { ok: false, reason: 'the dialog was issued at an impossible time' };
  if (clock.now().getTime() - issuedAt.getTime() > DIALOG_STATE_MAX_AGE_MS) {
    return { ok: false, reason: 'the dialog has expired' };
  }
  return { ok: true, value: { callbackId, value, userId, issuedAt } };
}

function decodeFields(payload: string): [string, string, string, string] | undefined {
  try {
    const parsed = dialogFieldsShape.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `given` equals one of the configured command tokens, in time that depends only on the number of tokens:
 * both sides are hashed to a fixed length first, so neither the length nor the content of a token leaks.
 */
export function matchesCommandToken(given: string | undefined, tokens: readonly string[]): boolean {
  if (!given) return false;
  const givenDigest = digest(given);
  let matched = false;
  for (const token of tokens) {
    // No early exit: every configured token is compared.
    matched = timingSafeEqual(givenDigest, digest(token)) || matched;
  }
  return matched;
}

function digest(text: string): Buffer {
  return createHmac('sha256', 'aithroyz.mattermost.command-token').update(text).digest();
}
