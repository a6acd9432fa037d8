import { ACTION_IDS, type ActionId, type DialogView } from '../../blocks/view.js';
import type { ActionInvocation, DialogSubmission, Reply } from '../../src/chat/types.js';
import { parseEnvId } from '../../src/domain/ids.js';
import { AppError } from '../../src/errors.js';
import { clip } from '../args.js';
import { environmentResource, type HandlerContext } from '../context.js';
import { destroyConfirmation } from '../env-destroy.js';
import { extendBy } from '../env-extend.js';
import { approve, openRejectDialog, submitRejectReason } from './decide.js';
import { cancelDestroy, confirmDestroy } from './destroy.js';

type ActionHandler = (ctx: HandlerContext<ActionInvocation>, envId: string) => Reply | Promise<Reply>;

const ACTION_HANDLERS: Readonly<Record<ActionId, ActionHandler>> = {
  approve,
  reject: openRejectDialog,
  extend1h: (ctx, envId) => extendBy(ctx, envId, 3600),
  extend4h: (ctx, envId) => extendBy(ctx, envId, 4 * 3600),
  destroy: destroyConfirmation,
  destroyConfirm: confirmDestroy,
  destroyCancel: cancelDestroy,
};

function isActionId(text: string): text is ActionId {
  return (ACTION_IDS as readonly string[]).includes(text);
}

/** The environment a button or dialog is about, from its value; the value never carries authority. */
function targetOf(ctx: HandlerContext, value: string): string {
  const envId = parseEnvId(value);
  ctx.audit.resource = environmentResource(envId);
  return envId;
}

/** A button click: the acting user is the verified `invocation.user`, whatever the button's value says. */
export async function runAction(ctx: HandlerContext<ActionInvocation>): Promise<Reply> {
  const { actionId, value } = ctx.invocation;
  if (!isActionId(actionId)) {
    throw new AppError('unknown_action', `The button "${clip(actionId)}" is not one this bot knows.`, {
      hint: 'It may be from an older message; `/env help` lists what you can do.',
    });
  }
  return ACTION_HANDLERS[actionId](ctx, targetOf(ctx, value));
}

/** The dialogs whose submissions are handled; `rejectReason` is the only one there is. */
export const DIALOG_CALLBACK_IDS: readonly DialogView['callbackId'][] = ['rejectReason'];

/** A dialog submission. */
export async function runDialog(ctx: HandlerContext<DialogSubmission>): Promise<Reply> {
  const { callbackId, value } = ctx.invocation;
  if (!(DIALOG_CALLBACK_IDS as readonly string[]).includes(callbackId)) {
    throw new AppError('unknown_dialog', `The form "${clip(callbackId)}" is not one this bot knows.`);
  }
  return submitRejectReason(ctx, targetOf(ctx, value));
}
