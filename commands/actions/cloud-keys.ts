import { cloudKeyAddedView, cloudKeyDeletedView, cloudKeyKeptView, cloudKeyRotatedView } from '../../blocks/views/cloud-keys.js';
import type { DialogSubmission, Reply } from '../../src/chat/types.js';
import { CLOUD_KEY_FIELDS } from '../../src/domain/cloud-keys.js';
import { addCloudKey, deleteCloudKey, rotateCloudKey } from '../../workflows/cloud-keys.js';
import { NOTHING_MORE, type HandlerContext } from '../context.js';

/**
 * The cloud key forms and the delete confirmation. Submitted values go to the workflow and nowhere else: the audit
 * entry of a submission names the form and the key, never a field.
 */

function field(ctx: HandlerContext<DialogSubmission>, name: string): string {
  return ctx.invocation.fields[name] ?? '';
}

/** The add form. Refused fields come back under their fields (the form stays open). */
export async function submitAddCloudKey(ctx: HandlerContext<DialogSubmission>): Promise<Reply> {
  const key = await addCloudKey(ctx.s, {
    actor: ctx.actor,
    key: {
      name: field(ctx, CLOUD_KEY_FIELDS.name),
      provider: field(ctx, CLOUD_KEY_FIELDS.provider) || 'aws',
      accessKeyId: field(ctx, CLOUD_KEY_FIELDS.accessKeyId),
      secretAccessKey: field(ctx, CLOUD_KEY_FIELDS.secretAccessKey),
      region: field(ctx, CLOUD_KEY_FIELDS.region) || ctx.s.config.LAB_AWS_REGION,
    },
    requestId: ctx.invocation.requestId,
    channelId: ctx.invocation.channelId,
  });
  ctx.audit.resource = { type: 'cloud_key', id: key.id };
  ctx.audit.details.name = key.name;
  return { view: cloudKeyAddedView(key) };
}

export async function submitRotateCloudKey(ctx: HandlerContext<DialogSubmission>, keyId: string): Promise<Reply> {
  const key = await rotateCloudKey(ctx.s, {
    actor: ctx.actor,
    keyId,
    pair: { accessKeyId: field(ctx, CLOUD_KEY_FIELDS.accessKeyId), secretAccessKey: field(ctx, CLOUD_KEY_FIELDS.secretAccessKey) },
    requestId: ctx.invocation.requestId,
    channelId: ctx.invocation.channelId,
  });
  return { view: cloudKeyRotatedView(key) };
}

/** `Delete key` on the confirmation: deleted unless a lab took the key in the meantime. */
export async function confirmDeleteCloudKey(ctx: HandlerContext, keyId: string): Promise<Reply> {
  const key = await deleteCloudKey(ctx.s, { actor: ctx.actor, keyId, requestId: ctx.invocation.requestId, channelId: ctx.invocation.channelId });
  return { view: NOTHING_MORE, replaceOriginal: cloudKeyDeletedView(key) };
}

export function keepCloudKey(): Reply {
  return { view: NOTHING_MORE, replaceOriginal: cloudKeyKeptView() };
}
