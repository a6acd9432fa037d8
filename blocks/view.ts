import type { UserRef } from '../src/domain/users.js';

/**
 * Neutral views: what a message says and which buttons it has, with no platform markup. The Slack and Mattermost
 * renderers turn them into Block Kit or message attachments. Text may use `code`, *bold* and mention tokens from
 * `mention()`; renderers translate those.
 */
export interface View {
  /** Plain-text fallback: notifications, screen readers, and clients that cannot show blocks. Always set. */
  text: string;
  blocks: ViewBlock[];
  /** Accent for the attachment / card: good (running, approved), warning (reminders), danger (failures). */
  tone?: 'neutral' | 'good' | 'warning' | 'danger';
}

export type ViewBlock =
  | { kind: 'header'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'fields'; fields: Field[] }
  | { kind: 'list'; items: string[] }
  | { kind: 'actions'; buttons: Button[] }
  | { kind: 'context'; text: string }
  | { kind: 'divider' };

export interface Field {
  label: string;
  value: string;
}

/** Button ids: letters and digits only (Mattermost drops clicks on ids with other characters). */
export const ACTION_IDS = [
  'approve', 'reject', 'extend1h', 'extend4h', 'destroy', 'destroyConfirm', 'destroyCancel', 'invitationAccept', 'invitationDecline',
  'cloudKeyDelete', 'cloudKeyKeep',
] as const;
export type ActionId = (typeof ACTION_IDS)[number];

export interface Button {
  actionId: ActionId;
  label: string;
  style?: 'primary' | 'danger';
  /**
   * The id of what the button acts on (an environment, an invitation, a cloud key: each action says which), parsed
   * and checked by its action. Never a user or a role: the acting user comes from the platform.
   */
  value: string;
}

/** Dialog ids, like button ids: letters and digits only. */
export const DIALOG_IDS = ['rejectReason', 'cloudKeyAdd', 'cloudKeyRotate'] as const;
export type DialogId = (typeof DIALOG_IDS)[number];

/**
 * Dialogs whose submission is answered before the form closes: Slack gets the field errors in the ack
 * (`response_action: errors`) instead of an empty ack that closes the modal at once. Their handlers answer well within
 * Slack's 3 s.
 */
export const DIALOGS_CHECKED_BEFORE_CLOSING: readonly DialogId[] = ['cloudKeyAdd', 'cloudKeyRotate'];

/** A modal asking for input (the reject reason): Slack `views.open`, Mattermost interactive dialog. */
export interface DialogView {
  callbackId: DialogId;
  title: string;
  submitLabel: string;
  /** Carried through the dialog and back on submission: the id of what it is about, as a button's value is. */
  value: string;
  fields: DialogField[];
}

export type DialogField = TextField | SelectField | SecretField;

interface FieldBase {
  /** The key of the field's value in the submission. */
  name: string;
  label: string;
  placeholder?: string;
}

export interface TextField extends FieldBase {
  kind: 'text';
  multiline?: boolean;
  minLength?: number;
  maxLength: number;
}

/** One choice among options; the submission carries the chosen option's value. */
export interface SelectField extends FieldBase {
  kind: 'select';
  options: { label: string; value: string }[];
}

/**
 * Text that must not be shown (a cloud key's secret). Mattermost masks it as a password field; Slack has no masked
 * input, so the field says it is not masked. Its value is never logged, audited or shown back.
 */
export interface SecretField extends FieldBase {
  kind: 'secret';
  minLength?: number;
  maxLength: number;
}

/** A mention in neutral text: `<@U123|alice>`. Slack shows it as a mention; Mattermost renders it as `@alice`. */
export function mention(user: Pick<UserRef, 'id' | 'name'>): string {
  return `<@${user.id}|${user.name.replace(/[<>|]/g, '')}>`;
}

export const MENTION_PATTERN = /<@([A-Za-z0-9._-]+)\|([^<>|]*)>/g;

/** A view that says nothing: the answer's other parts (a dialog, an edited message) say it all, so doors post nothing. */
export function isEmptyView(view: View): boolean {
  return view.text.trim() === '' && view.blocks.length === 0;
}
