import { clipText, MATTERMOST_LIMITS } from './limits.js';
import { toMattermostMarkdown, toMattermostPlain } from './mattermost-markdown.js';
import type { Button, DialogField, DialogView, View, ViewBlock } from './view.js';

/**
 * The Mattermost renderer: neutral views → a post (`message` + `props.attachments`) and dialogs → interactive
 * dialogs. Text-only views become a plain markdown message; views with a header, fields, buttons or a tone become
 * message attachments (a card: title, text, fields, buttons), one per section between dividers or headers.
 */

export interface MattermostButton {
  /** Letters and digits only, unique within the post (Mattermost finds the clicked action by this id). */
  id: string;
  name: string;
  type: 'button';
  style: 'default' | 'primary' | 'danger';
  integration: { url: string; context: Record<string, string> };
}

export interface MattermostField {
  title: string;
  value: string;
  short: boolean;
}

export interface MattermostAttachment {
  fallback?: string;
  color?: string;
  title?: string;
  text?: string;
  fields?: MattermostField[];
  actions?: MattermostButton[];
}

export interface MattermostMessage {
  message: string;
  /** Always carries `attachments` (possibly empty), so a patch with these props removes old buttons. */
  props: { attachments: MattermostAttachment[] };
}

export interface MattermostRenderOptions {
  /** Where Mattermost posts clicks: PUBLIC_URL/mattermost/actions. */
  actionUrl: string;
  /** The signed `context` for one button. */
  contextFor(button: Button): Record<string, string>;
}

const TONE_COLORS: Record<NonNullable<View['tone']>, string | undefined> = {
  neutral: undefined,
  good: '#2eb886',
  warning: '#daa038',
  danger: '#d24b4e',
};
const BUTTON_STYLES = { primary: 'primary', danger: 'danger' } as const;
const SHORT_FIELD_LENGTH = 40;
/** The fallback is a summary for notifications; it must not eat the post's budget. */
const FALLBACK_LENGTH = 1000;

export function renderMattermostMessage(view: View, options: MattermostRenderOptions): MattermostMessage {
  if (!needsAttachments(view)) {
    return { message: clipText(plainMessage(view), MATTERMOST_LIMITS.postMessageLength), props: { attachments: [] } };
  }
  const attachments = buildAttachments(view, options);
  const color = TONE_COLORS[view.tone ?? 'neutral'];
  attachments.forEach((attachment, index) => {
    if (color) attachment.color = color;
    if (index === 0) attachment.fallback = clipText(toMattermostPlain(view.text), FALLBACK_LENGTH);
  });
  return fitToPostLimit({ message: '', props: { attachments } });
}

/**
 * The whole view as one markdown string, without buttons: for `ephemeral_text` answers to clicks, which cannot carry
 * attachments.
 */
export function renderMattermostText(view: View): string {
  if (!needsAttachments(view)) return clipText(plainMessage(view), MATTERMOST_LIMITS.postMessageLength);
  const parts = view.blocks.flatMap((block) => {
    if (block.kind === 'header') return [`**${toMattermostPlain(block.text)}**`];
    if (block.kind === 'text' || block.kind === 'context') return [toMattermostMarkdown(block.text)];
    if (block.kind === 'list') return [listMarkdown(block.items)];
    if (block.kind === 'fields') {
      return [block.fields.map((field) => `**${toMattermostPlain(field.label)}:** ${toMattermostMarkdown(field.value)}`).join('\n')];
    }
    return [];
  });
  const text = parts.length > 0 ? parts.join('\n\n') : toMattermostMarkdown(view.text);
  return clipText(text, MATTERMOST_LIMITS.postMessageLength);
}

function needsAttachments(view: View): boolean {
  if (view.tone !== undefined && view.tone !== 'neutral') return true;
  return view.blocks.some((block) => block.kind === 'header' || block.kind === 'fields' || block.kind === 'actions');
}

function plainMessage(view: View): string {
  const parts = view.blocks.flatMap((block) => {
    if (block.kind === 'text') return [toMattermostMarkdown(block.text)];
    if (block.kind === 'context') return [toMattermostMarkdown(block.text)];
    if (block.kind === 'list') return [listMarkdown(block.items)];
    return block.kind === 'divider' ? ['***'] : [];
  });
  return parts.length > 0 ? parts.join('\n\n') : toMattermostMarkdown(view.text);
}

function listMarkdown(items: string[]): string {
  return items.map((item) => `- ${toMattermostMarkdown(item)}`).join('\n');
}

interface Builder {
  attachments: MattermostAttachment[];
  current: MattermostAttachment;
  buttonCount: number;
}

function buildAttachments(view: View, options: MattermostRenderOptions): MattermostAttachment[] {
  const first: MattermostAttachment = {};
  const builder: Builder = { attachments: [first], current: first, buttonCount: 0 };
  for (const block of view.blocks) addBlock(builder, block, options);
  const used = builder.attachments.filter((attachment) => Object.keys(attachment).length > 0);
  return used.length > 0 ? used : [{ text: toMattermostMarkdown(view.text) }];
}

/** Starts the next attachment (after a divider, or for a second header), unless the current one is still empty. */
function nextAttachment(builder: Builder): MattermostAttachment {
  if (Object.keys(builder.current).length > 0) {
    builder.current = {};
    builder.attachments.push(builder.current);
  }
  return builder.current;
}

function addBlock(builder: Builder, block: ViewBlock, options: MattermostRenderOptions): void {
  const attachment = builder.current;
  switch (block.kind) {
    case 'header': {
      const target = attachment.title === undefined ? attachment : nextAttachment(builder);
      target.title = toMattermostPlain(block.text);
      return;
    }
    case 'text':
    case 'context':
      // Mattermost markdown has no small print: context is a paragraph of its own.
      appendText(attachment, toMattermostMarkdown(block.text));
      return;
    case 'list':
      appendText(attachment, listMarkdown(block.items));
      return;
    case 'fields':
      attachment.fields = [...(attachment.fields ?? []), ...block.fields.map((field) => renderField(field.label, field.value))];
      return;
    case 'actions': {
      const buttons = block.buttons.map((button) => renderButton(button, builder.buttonCount++, options));
      attachment.actions = [...(attachment.actions ?? []), ...buttons];
      return;
    }
    case 'divider':
      nextAttachment(builder);
      return;
  }
}

function appendText(attachment: MattermostAttachment, text: string): void {
  attachment.text = attachment.text ? `${attachment.text}\n\n${text}` : text;
}

function renderField(label: string, value: string): MattermostField {
  const markdown = toMattermostMarkdown(value);
  return { title: toMattermostPlain(label), value: markdown, short: markdown.length <= SHORT_FIELD_LENGTH && !markdown.includes('\n') };
}

function renderButton(button: Button, index: number, options: MattermostRenderOptions): MattermostButton {
  return {
    id: `${button.actionId}${index}`,
    name: toMattermostPlain(button.label),
    type: 'button',
    style: button.style ? BUTTON_STYLES[button.style] : 'default',
    integration: { url: options.actionUrl, context: options.contextFor(button) },
  };
}

/**
 * Keeps the visible text of a post (message, titles, text, fields, fallback) within Mattermost's 16,383
 * characters: pieces are kept in order and the first one past the budget is clipped; later fields are dropped.
 */
export function fitToPostLimit(post: MattermostMessage): MattermostMessage {
  let budget = MATTERMOST_LIMITS.postMessageLength;
  const take = (text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    const kept = budget <= 0 ? '' : clipText(text, budget);
    budget -= kept.length;
    return kept;
  };
  const message = take(post.message) ?? '';
  const attachments = post.props.attachments.map((attachment) => {
    const fitted: MattermostAttachment = { ...attachment };
    for (const key of ['fallback', 'title', 'text'] as const) {
      if (attachment[key] !== undefined) fitted[key] = take(attachment[key]);
    }
    if (attachment.fields) {
      fitted.fields = attachment.fields
        .map((field) => ({ ...field, title: take(field.title) ?? '', value: take(field.value) ?? '' }))
        .filter((field) => field.title !== '' || field.value !== '');
    }
    return fitted;
  });
  return { message, props: { attachments } };
}

/** Counts what `fitToPostLimit` bounds, for tests and checks. */
export function visibleLength(post: MattermostMessage): number {
  return post.props.attachments.reduce(
    (total, attachment) =>
      total +
      (attachment.fallback?.length ?? 0) +
      (attachment.title?.length ?? 0) +
      (attachment.text?.length ?? 0) +
      (attachment.fields ?? []).reduce((sum, field) => sum + field.title.length + field.value.length, 0),
    post.message.length,
  );
}

export interface MattermostDialogElement {
  display_name: string;
  name: string;
  type: 'text' | 'textarea' | 'select';
  /** `password` masks a text element. */
  subtype?: 'password';
  placeholder?: string;
  optional: false;
  min_length?: number;
  max_length?: number;
  options?: { text: string; value: string }[];
}

export interface MattermostDialog {
  callback_id: string;
  title: string;
  submit_label: string;
  notify_on_cancel: false;
  state: string;
  elements: MattermostDialogElement[];
}

/** An interactive dialog; `state` (signed by the adapter) comes back with the submission. */
export function renderMattermostDialog(dialog: DialogView, state: string): MattermostDialog {
  return {
    callback_id: dialog.callbackId,
    title: clipText(toMattermostPlain(dialog.title), MATTERMOST_LIMITS.dialogTitleLength),
    submit_label: toMattermostPlain(dialog.submitLabel),
    notify_on_cancel: false,
    state,
    elements: dialog.fields.map(renderDialogElement),
  };
}

function renderDialogElement(field: DialogField): MattermostDialogElement {
  const common = {
    display_name: toMattermostPlain(field.label),
    name: field.name,
    ...(field.placeholder ? { placeholder: toMattermostPlain(field.placeholder) } : {}),
    optional: false as const,
  };
  if (field.kind === 'select') {
    return { ...common, type: 'select', options: field.options.map((option) => ({ text: toMattermostPlain(option.label), value: option.value })) };
  }
  const textarea = field.kind === 'text' && field.multiline === true;
  const limit = textarea ? MATTERMOST_LIMITS.dialogTextareaLength : MATTERMOST_LIMITS.dialogTextLength;
  return {
    ...common,
    type: textarea ? 'textarea' : 'text',
    ...(field.kind === 'secret' ? { subtype: 'password' as const } : {}),
    ...(field.minLength !== undefined ? { min_length: field.minLength } : {}),
    max_length: Math.min(field.maxLength, limit),
  };
}
