import { describe, expect, it } from 'vitest';
import { MATTERMOST_LIMITS } from '../../blocks/limits.js';
import {
  renderMattermostDialog,
  renderMattermostMessage,
  renderMattermostText,
  visibleLength,
  type MattermostRenderOptions,
} from '../../blocks/mattermost.js';
import { toMattermostMarkdown, toMattermostPlain } from '../../blocks/mattermost-markdown.js';
import { ACTION_IDS, mention, type DialogField, type View, type ViewBlock } from '../../blocks/view.js';
import { rejectDialogView } from '../../blocks/views/approval-card.js';

const options: MattermostRenderOptions = {
  actionUrl: 'https://bot.example.com/mattermost/actions',
  contextFor: (button) => ({ actionId: button.actionId, value: button.value, signature: 'test-signature' }),
};

const alice = mention({ id: 'u1234567890abcdefghijklmno', name: 'alice' });

const EVERY_BLOCK: Record<ViewBlock['kind'], ViewBlock> = {
  header: { kind: 'header', text: `Lab request env-7k2p9q by ${alice}` },
  text: { kind: 'text', text: `*Tools:* Elastic, \`Wazuh\` and ~old~ <https://example.com/docs|docs> for ${alice}` },
  fields: {
    kind: 'fields',
    fields: [
      { label: 'Requester', value: alice },
      { label: 'Preset', value: 'SOC Platform (`soc-platform`)' },
      { label: 'History', value: 'requested 12:00 UTC\napproved 12:05 UTC' },
    ],
  },
  list: { kind: 'list', items: ['*env-7k2p9q* running', 'env-aaaaaa deploying'] },
  actions: {
    kind: 'actions',
    buttons: [
      { actionId: 'approve', label: 'Approve', style: 'primary', value: 'env-7k2p9q' },
      { actionId: 'reject', label: 'Reject', style: 'danger', value: 'env-7k2p9q' },
      { actionId: 'extend1h', label: 'Extend +1h', value: 'env-7k2p9q' },
    ],
  },
  context: { kind: 'context', text: 'Request id `abc-123`' },
  divider: { kind: 'divider' },
};

describe('Mattermost renderer', () => {
  it.each(Object.entries(EVERY_BLOCK))('renders a %s block', (_kind, block) => {
    const view: View = { text: `Fallback for ${alice}`, blocks: [block] };
    expect(renderMattermostMessage(view, options)).toMatchSnapshot();
  });

  it('renders a whole card with a tone, split into attachments at dividers', () => {
    const view: View = { text: `Approval needed for ${alice}`, tone: 'good', blocks: [...Object.values(EVERY_BLOCK), EVERY_BLOCK.header, EVERY_BLOCK.context] };
    const post = renderMattermostMessage(view, options);
    expect(post).toMatchSnapshot();
    expect(post.message).toBe('');
    expect(post.props.attachments).toHaveLength(2);
    expect(post.props.attachments.every((attachment) => attachment.color === '#2eb886')).toBe(true);
    expect(post.props.attachments[0]!.fallback).toBe('Approval needed for @alice');
  });

  it('keeps text-only views as a plain markdown message with no attachments', () => {
    const view: View = { text: 'x', blocks: [EVERY_BLOCK.text, EVERY_BLOCK.list, EVERY_BLOCK.context] };
    const post = renderMattermostMessage(view, options);
    expect(post.props.attachments).toEqual([]);
    expect(post.message).toContain('**Tools:**');
    expect(post.message).toContain('- **env-7k2p9q** running');
  });

  it('maps tones to colours and leaves neutral uncoloured', () => {
    const colour = (tone: View['tone']) => renderMattermostMessage({ text: 't', tone, blocks: [EVERY_BLOCK.header] }, options).props.attachments[0]!.color;
    expect([colour('good'), colour('warning'), colour('danger'), colour('neutral'), colour(undefined)]).toEqual([
      '#2eb886', '#daa038', '#d24b4e', undefined, undefined,
    ]);
  });

  it('gives every button an id of letters and digits, unique within the post, pointing at the actions URL', () => {
    const buttons = ACTION_IDS.map((actionId) => ({ actionId, label: actionId, value: 'env-7k2p9q' }));
    const view: View = { text: 't', blocks: [{ kind: 'actions', buttons }, { kind: 'actions', buttons }] };
    const actions = renderMattermostMessage(view, options).props.attachments.flatMap((attachment) => attachment.actions ?? []);
    expect(actions).toHaveLength(ACTION_IDS.length * 2);
    for (const action of actions) {
      expect(action.id).toMatch(/^[A-Za-z0-9]+$/);
      expect(action.type).toBe('button');
      expect(action.integration.url).toBe(options.actionUrl);
    }
    expect(new Set(actions.map((action) => action.id)).size).toBe(actions.length);
    expect(actions[0]!.integration.context).toEqual({ actionId: 'approve', value: 'env-7k2p9q', signature: 'test-signature' });
  });

  it('renders the whole view as text for ephemeral answers, without buttons', () => {
    const view: View = { text: 't', tone: 'warning', blocks: [EVERY_BLOCK.header, EVERY_BLOCK.fields, EVERY_BLOCK.actions] };
    const text = renderMattermostText(view);
    expect(text).toMatchSnapshot();
    expect(text).not.toContain('Approve');
  });

  it('renders the reject dialog with its limits', () => {
    const dialog = renderMattermostDialog(rejectDialogView('env-7k2p9q', { min: 3, max: 500 }), 'signed-state');
    expect(dialog).toMatchSnapshot();
    expect(dialog.title.length).toBeLessThanOrEqual(MATTERMOST_LIMITS.dialogTitleLength);
    expect(dialog.elements[0]).toMatchObject({ name: 'reason', type: 'textarea', min_length: 3, max_length: 500 });
  });

  /** A dialog with these fields, rendered with a placeholder state. */
  const dialogOf = (title: string, fields: DialogField[]) =>
    renderMattermostDialog({ callbackId: 'rejectReason', title, submitLabel: 'Go', value: 'env-7k2p9q', fields }, 's');

  it('clips dialog titles and field lengths to what Mattermost accepts', () => {
    const dialog = dialogOf('A title that is far longer than twenty-four characters', [
      { kind: 'text', name: 'short', label: 'Short', maxLength: 10_000 },
      { kind: 'text', name: 'long', label: 'Long', multiline: true, maxLength: 10_000 },
    ]);
    expect(dialog.title).toHaveLength(MATTERMOST_LIMITS.dialogTitleLength);
    expect(dialog.elements.map((element) => element.max_length)).toEqual([
      MATTERMOST_LIMITS.dialogTextLength,
      MATTERMOST_LIMITS.dialogTextareaLength,
    ]);
  });

  it('renders a select with its options and a secret as a masked text field', () => {
    const dialog = dialogOf('Add a cloud key', [
      { kind: 'select', name: 'provider', label: '*Provider*', options: [{ label: 'AWS', value: 'aws' }, { label: 'Azure', value: 'azure' }] },
      { kind: 'secret', name: 'secret', label: 'Secret access key', minLength: 20, maxLength: 400 },
    ]);
    expect(dialog.elements).toEqual([
      { display_name: 'Provider', name: 'provider', type: 'select', optional: false, options: [{ text: 'AWS', value: 'aws' }, { text: 'Azure', value: 'azure' }] },
      { display_name: 'Secret access key', name: 'secret', type: 'text', subtype: 'password', optional: false, min_length: 20, max_length: MATTERMOST_LIMITS.dialogTextLength },
    ]);
  });

  it('keeps a worst-case view within 16,383 characters', () => {
    const huge = 'x'.repeat(20_000);
    const view: View = {
      text: huge,
      tone: 'danger',
      blocks: [
        { kind: 'header', text: huge },
        { kind: 'text', text: huge },
        { kind: 'fields', fields: Array.from({ length: 20 }, (_, index) => ({ label: `field ${index}`, value: huge })) },
        { kind: 'list', items: Array.from({ length: 500 }, () => huge.slice(0, 100)) },
        { kind: 'divider' },
        { kind: 'text', text: huge },
        { kind: 'actions', buttons: [{ actionId: 'destroy', label: 'Destroy', style: 'danger', value: 'env-7k2p9q' }] },
      ],
    };
    const post = renderMattermostMessage(view, options);
    expect(visibleLength(post)).toBeLessThanOrEqual(MATTERMOST_LIMITS.postMessageLength);
    for (const attachment of post.props.attachments) {
      expect((attachment.text ?? '').length).toBeLessThanOrEqual(MATTERMOST_LIMITS.attachmentTextLength);
    }
    // The buttons survive the clipping: they are what the user acts with.
    expect(post.props.attachments.flatMap((attachment) => attachment.actions ?? [])).toHaveLength(1);
    const plain = renderMattermostMessage({ text: huge, blocks: [{ kind: 'text', text: huge }] }, options);
    expect(plain.message.length).toBeLessThanOrEqual(MATTERMOST_LIMITS.postMessageLength);
    expect(plain.message.endsWith('…')).toBe(true);
    expect(renderMattermostText(view).length).toBeLessThanOrEqual(MATTERMOST_LIMITS.postMessageLength);
  });
});

describe('Mattermost markdown', () => {
  it.each([
    ['*bold* and *two words*', '**bold** and **two words**'],
    [`hi ${alice}`, 'hi @alice'],
    ['`*code stays*` but *this*', '`*code stays*` but **this**'],
    ['```\n*block*\n```', '```\n*block*\n```'],
    ['2 * 3 * 4', '2 * 3 * 4'],
    ['~gone~', '~~gone~~'],
    ['<https://example.com|the docs>', '[the docs](https://example.com)'],
    ['<https://example.com>', 'https://example.com'],
    ['snake_case_name stays', 'snake_case_name stays'],
  ])('%j → %j', (neutral, markdown) => {
    expect(toMattermostMarkdown(neutral)).toBe(markdown);
  });

  it('strips markup for plain-text places', () => {
    expect(toMattermostPlain(`*Approve* for ${alice} <https://x.test|here>`)).toBe('Approve for @alice here');
  });
});
