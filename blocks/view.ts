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
export const ACTION_IDS = ['approve', 'reject', 'extend1h', 'extend4h', 'destroy', 'destroyConfirm', 'destroyCancel'] as const;
export type ActionId = (typeof ACTION_IDS)[number];

export interface Button {
  actionId: ActionId;
  label: string;
  style?: 'primary' | 'danger';
  /** What the button is about: an environment id. Never a user or a role: the acting user comes from the platform. */
  value: string;
}

/** A modal asking for input (the reject reason): Slack `views.open`, Mattermost interactive dialog. */
export interface DialogView {
  callbackId: 'rejectReason';
  title: string;
  submitLabel: string;
  /** Carried through the dialog and back on submission (an environment id). */
  value: string;
  fields: DialogField[];
}

export interface DialogField {
  name: string;
  label: string;
  placeholder?: string;
  multiline?: boolean;
  minLength?: number;
  maxLength: number;
}

/** A mention in neutral text: `<@U123|alice>`. Slack shows it as a mention; Mattermost renders it as `@alice`. */
export function mention(user: Pick<UserRef, 'id' | 'name'>): string {
  return `<@${user.id}|${user.name.replace(/[<>|]/g, '')}>`;
}

export const MENTION_PATTERN = /<@([A-Za-z0-9._-]+)\|([^<>|]*)>/g;
