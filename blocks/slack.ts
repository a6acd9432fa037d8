import type { types as slack } from '@slack/bolt';
import { clipText, SLACK_LIMITS } from './limits.js';
import { MENTION_PATTERN, type Button, type DialogField, type DialogView, type Field, type View, type ViewBlock } from './view.js';

/**
 * Renders neutral views as Block Kit. Neutral `*bold*` and `code` are Slack mrkdwn already and mention tokens
 * (`<@U123|name>`) are Slack's own syntax; everything else that Slack would parse (`<!channel>`, links, `&`) is
 * escaped, so text a user typed (an environment name) cannot ping a channel or forge a link. Every limit comes from
 * SLACK_LIMITS: long text is clipped, sections get at most ten fields, and a message keeps at most 50 blocks, the
 * overflow summed up in a closing "…and N more" context block. Tone has no Block Kit equivalent (only legacy
 * attachments have colours), so the words of the view carry it.
 */
export interface SlackMessage {
  text: string;
  blocks: slack.KnownBlock[];
}

/** What a rendered block stands for when it has to be dropped: list chunks stand for their items. */
interface Rendered {
  block: slack.KnownBlock;
  weight: number;
}

export function renderSlackMessage(view: View): SlackMessage {
  const rendered = view.blocks.flatMap(renderBlock);
  return { text: renderFallbackText(view.text), blocks: capBlocks(rendered, SLACK_LIMITS.blocksPerMessage) };
}

/** The plain `text` of a message: shown in notifications and by clients without blocks. Never empty. */
export function renderFallbackText(text: string): string {
  const fallback = text.trim() === '' ? ' ' : text;
  return clipText(escapeMrkdwn(fallback), SLACK_LIMITS.messageTextLength);
}

/** Escapes what Slack mrkdwn would parse, keeping mention tokens (`<@U123|name>`) as they are. */
export function escapeMrkdwn(text: string): string {
  let result = '';
  let last = 0;
  for (const match of text.matchAll(MENTION_PATTERN)) {
    result += escapeControlCharacters(text.slice(last, match.index));
    result += `<@${match[1]}|${match[2]}>`;
    last = match.index + match[0].length;
  }
  return result + escapeControlCharacters(text.slice(last));
}

function escapeControlCharacters(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Plain text (headers, buttons, modal labels) shows no markup: mention tokens become `@name`. */
export function toPlainText(text: string): string {
  return text.replace(MENTION_PATTERN, (_token, _id: string, name: string) => `@${name}`);
}

function mrkdwn(text: string, limit: number): slack.MrkdwnElement {
  return { type: 'mrkdwn', text: clipText(escapeMrkdwn(text), limit) };
}

function plainText(text: string, limit: number): slack.PlainTextElement {
  return { type: 'plain_text', text: clipText(toPlainText(text), limit), emoji: true };
}

function renderBlock(block: ViewBlock): Rendered[] {
  switch (block.kind) {
    case 'header':
      return [{ block: { type: 'header', text: plainText(block.text, SLACK_LIMITS.headerTextLength) }, weight: 1 }];
    case 'text':
      return [{ block: { type: 'section', text: mrkdwn(block.text, SLACK_LIMITS.sectionTextLength) }, weight: 1 }];
    case 'fields':
      return renderFields(block.fields);
    case 'list':
      return renderList(block.items);
    case 'actions':
      return renderActions(block.buttons);
    case 'context':
      return [{ block: contextBlock(block.text), weight: 1 }];
    case 'divider':
      return [{ block: { type: 'divider' }, weight: 1 }];
  }
}

function contextBlock(text: string): slack.ContextBlock {
  return { type: 'context', elements: [mrkdwn(text, SLACK_LIMITS.contextTextLength)] };
}

function renderFields(fields: Field[]): Rendered[] {
  return chunk(fields, SLACK_LIMITS.sectionFields).map((group) => ({
    block: {
      type: 'section',
      fields: group.map((field) => mrkdwn(`*${field.label}*\n${field.value}`, SLACK_LIMITS.fieldTextLength)),
    },
    weight: group.length,
  }));
}

/** A bulleted list, split across as many sections as its text needs (each within the section text limit). */
function renderList(items: string[]): Rendered[] {
  const limit = SLACK_LIMITS.sectionTextLength;
  const lines = items.map((item) => clipText(`• ${escapeMrkdwn(item)}`, limit));
  const sections: Rendered[] = [];
  let current: string[] = [];
  let length = 0;
  const flush = () => {
    if (current.length === 0) return;
    sections.push({ block: { type: 'section', text: { type: 'mrkdwn', text: current.join('\n') } }, weight: current.length });
    current = [];
    length = 0;
  };
  for (const line of lines) {
    if (length + line.length + 1 > limit) flush();
    current.push(line);
    length += line.length + 1;
  }
  flush();
  return sections;
}

function renderActions(buttons: Button[]): Rendered[] {
  return chunk(buttons, SLACK_LIMITS.elementsPerActions).map((group) => ({
    block: { type: 'actions', elements: group.map(renderButton) },
    weight: 1,
  }));
}

function renderButton(button: Button): slack.Button {
  return {
    type: 'button',
    action_id: clipText(button.actionId, SLACK_LIMITS.actionIdLength),
    text: plainText(button.label, SLACK_LIMITS.buttonTextLength),
    value: clipText(button.value, SLACK_LIMITS.buttonValueLength),
    ...(button.style ? { style: button.style } : {}),
  };
}

/**
 * Keeps a message within the block limit. Buttons are what users act on, so actions blocks are always kept; the
 * other blocks are kept in order while room lasts, and what was left out is counted in a closing context block.
 */
function capBlocks(rendered: Rendered[], limit: number): slack.KnownBlock[] {
  if (rendered.length <= limit) return rendered.map((item) => item.block);
  const actionCount = rendered.filter((item) => item.block.type === 'actions').length;
  let room = Math.max(0, limit - 1 - actionCount);
  let dropped = 0;
  const kept: slack.KnownBlock[] = [];
  for (const item of rendered) {
    if (item.block.type === 'actions') {
      kept.push(item.block);
    } else if (room > 0) {
      kept.push(item.block);
      room -= 1;
    } else {
      dropped += item.weight;
    }
  }
  const summary = contextBlock(`…and ${dropped} more`);
  const firstAction = kept.findIndex((block) => block.type === 'actions');
  if (firstAction === -1) return [...kept, summary].slice(0, limit);
  return [...kept.slice(0, firstAction), summary, ...kept.slice(firstAction)].slice(0, limit);
}

function chunk<T>(items: T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let index = 0; index < items.length; index += size) groups.push(items.slice(index, index + size));
  return groups;
}

/** What a modal carries through to its submission: the neutral dialog's value and where the dialog was opened. */
export interface DialogContext {
  value: string;
  channelId: string;
  /** The response_url of the click that opened the dialog, so the submission can answer where the user clicked. */
  responseUrl: string | undefined;
}

export function renderSlackModal(dialog: DialogView, context: DialogContext): slack.ModalView {
  return {
    type: 'modal',
    callback_id: dialog.callbackId,
    title: plainText(dialog.title, SLACK_LIMITS.modalTitleLength),
    submit: plainText(dialog.submitLabel, SLACK_LIMITS.modalButtonLength),
    close: plainText('Cancel', SLACK_LIMITS.modalButtonLength),
    private_metadata: encodeDialogContext(context),
    blocks: dialog.fields.map(renderInput).slice(0, SLACK_LIMITS.blocksPerModal),
  };
}

/** Said under a secret field: Slack has no masked input, so whoever sees the screen sees what is typed. */
export const UNMASKED_NOTICE = 'Slack does not hide what you type here: make sure nobody is looking at your screen.';

function renderInput(field: DialogField): slack.InputBlock {
  const ids = { block_id: clipText(field.name, SLACK_LIMITS.blockIdLength), action_id: clipText(field.name, SLACK_LIMITS.actionIdLength) };
  const placeholder = field.placeholder === undefined ? {} : { placeholder: plainText(field.placeholder, SLACK_LIMITS.placeholderLength) };
  const block = { type: 'input' as const, block_id: ids.block_id, label: plainText(field.label, SLACK_LIMITS.inputLabelLength) };
  if (field.kind === 'select') {
    const options = field.options.slice(0, SLACK_LIMITS.selectOptions).map((option) => ({
      text: plainText(option.label, SLACK_LIMITS.optionTextLength),
      value: clipText(option.value, SLACK_LIMITS.optionValueLength),
    }));
    return { ...block, element: { type: 'static_select', action_id: ids.action_id, options, ...placeholder } };
  }
  return {
    ...block,
    ...(field.kind === 'secret' ? { hint: plainText(UNMASKED_NOTICE, SLACK_LIMITS.inputHintLength) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: ids.action_id,
      multiline: field.kind === 'text' && field.multiline === true,
      max_length: field.maxLength,
      ...(field.minLength === undefined ? {} : { min_length: field.minLength }),
      ...placeholder,
    },
  };
}

/** private_metadata holds JSON; a response_url that would not fit is left out (the answer then goes by chat.postEphemeral). */
export function encodeDialogContext(context: DialogContext): string {
  const full = JSON.stringify({ value: context.value, channelId: context.channelId, responseUrl: context.responseUrl });
  if (full.length <= SLACK_LIMITS.privateMetadataLength) return full;
  return JSON.stringify({ value: context.value, channelId: context.channelId });
}
