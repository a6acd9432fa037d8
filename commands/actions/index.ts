import { DIALOG_IDS, type ActionId, type DialogId } from '../../blocks/view.js';
import type { ActionInvocation, DialogSubmission, Reply } from '../../src/chat/types.js';
import { parseCloudKeyId } from '../../src/domain/cloud-keys.js';
import { parseEnvId, parseInvitationId } from '../../src/domain/ids.js';
import { AppError } from '../../src/errors.js';
import { clip } from '../args.js';
import type { HandlerContext } from '../context.js';
import { destroyConfirmation } from '../env-destroy.js';
import { extendBy } from '../env-extend.js';
import { approve, openRejectDialog, submitRejectReason } from './decide.js';
import { confirmDeleteCloudKey, keepCloudKey, submitAddCloudKey, submitRotateCloudKey } from './cloud-keys.js';
import { cancelDestroy, confirmDestroy } from './destroy.js';
import { answer } from './invitation.js';

/**
 * What a button or a dialog can be about: how its value is read, and how the audit entry names it. A new kind of
 * target (an invitation, a cloud key) is a new entry here, with actions of its own.
 */
export interface Target<T> {
  /** The audit entry's resource type. */
  resourceType: string;
  /** Reads the value; refuses (AppError) a value that is not one. The value is data, never authority. */
  parse(value: string): T;
  /** The audit entry's resource id. */
  idOf(target: T): string;
}

export const TARGETS = {
  environment: { resourceType: 'environment', parse: parseEnvId, idOf: (envId: string) => envId } satisfies Target<string>,
  invitation: { resourceType: 'invitation', parse: parseInvitationId, idOf: (invitationId: string) => invitationId } satisfies Target<string>,
  cloudKey: { resourceType: 'cloud_key', parse: parseCloudKeyId, idOf: (keyId: string) => keyId } satisfies Target<string>,
};

/**
 * One button (or dialog): the kind of thing it acts on, and what it does. Each action authorises the acting user
 * against its target itself, in the workflow it calls (who may approve, extend or destroy differs per action, and is
 * decided inside the transaction that acts), so someone not in the team is refused by every button; an invitation's
 * buttons alone answer people outside it, as their invitee.
 */
export interface ActionSpec<I extends ActionInvocation | DialogSubmission> {
  run(ctx: HandlerContext<I>, value: string): Promise<Reply>;
}

/** An action on a target of one kind: the value is parsed before `run`, and the audit entry names the target. */
export function on<T, I extends ActionInvocation | DialogSubmission>(
  target: Target<T>,
  run: (ctx: HandlerContext<I>, target: T) => Reply | Promise<Reply>,
): ActionSpec<I> {
  return {
    async run(ctx, value) {
      const parsed = target.parse(value);
      ctx.audit.resource = { type: target.resourceType, id: target.idOf(parsed) };
      return run(ctx, parsed);
    },
  };
}

const { environment, invitation, cloudKey } = TARGETS;

/** A form about something that does not exist yet (a new cloud key): its value is not read. */
function creating(run: (ctx: HandlerContext<DialogSubmission>) => Promise<Reply>): ActionSpec<DialogSubmission> {
  return { run: (ctx) => run(ctx) };
}

const ACTIONS: Readonly<Record<ActionId, ActionSpec<ActionInvocation>>> = {
  approve: on(environment, approve),
  reject: on(environment, openRejectDialog),
  extend1h: on(environment, (ctx, envId) => extendBy(ctx, envId, 3600)),
  extend4h: on(environment, (ctx, envId) => extendBy(ctx, envId, 4 * 3600)),
  destroy: on(environment, destroyConfirmation),
  destroyConfirm: on(environment, confirmDestroy),
  destroyCancel: on(environment, cancelDestroy),
  invitationAccept: on(invitation, (ctx, invitationId) => answer(ctx, invitationId, 'accept')),
  invitationDecline: on(invitation, (ctx, invitationId) => answer(ctx, invitationId, 'decline')),
  cloudKeyDelete: on(cloudKey, confirmDeleteCloudKey),
  cloudKeyKeep: on(cloudKey, keepCloudKey),
};

const DIALOGS: Readonly<Record<DialogId, ActionSpec<DialogSubmission>>> = {
  rejectReason: on(environment, submitRejectReason),
  cloudKeyAdd: creating(submitAddCloudKey),
  cloudKeyRotate: on(cloudKey, submitRotateCloudKey),
};

/** The dialogs whose submissions are handled. */
export const DIALOG_CALLBACK_IDS: readonly DialogId[] = DIALOG_IDS;

/** Runs the action a click or submission names, from its table; unknown ids are refused. */
export async function dispatch<I extends ActionInvocation | DialogSubmission>(
  table: Readonly<Record<string, ActionSpec<I>>>,
  ctx: HandlerContext<I>,
  id: string,
  value: string,
  unknown: () => AppError,
): Promise<Reply> {
  const spec = Object.hasOwn(table, id) ? table[id] : undefined;
  if (!spec) throw unknown();
  return spec.run(ctx, value);
}

/** A button click: the acting user is the verified `invocation.user`, whatever the button's value says. */
export async function runAction(ctx: HandlerContext<ActionInvocation>): Promise<Reply> {
  const { actionId, value } = ctx.invocation;
  return dispatch(ACTIONS, ctx, actionId, value, () =>
    new AppError('unknown_action', `The button "${clip(actionId)}" is not one this bot knows.`, {
      hint: 'It may be from an older message; `/env help` lists what you can do.',
    }),
  );
}

/** A dialog submission. */
export async function runDialog(ctx: HandlerContext<DialogSubmission>): Promise<Reply> {
  const { callbackId, value } = ctx.invocation;
  return dispatch(DIALOGS, ctx, callbackId, value, () => new AppError('unknown_dialog', `The form "${clip(callbackId)}" is not one this bot knows.`));
}
