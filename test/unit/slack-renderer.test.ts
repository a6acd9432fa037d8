import { describe, expect, it } from 'vitest';
import { clipText, SLACK_LIMITS } from '../../blocks/limits.js';
import { escapeMrkdwn, renderSlackMessage, renderSlackModal, toPlainText } from '../../blocks/slack.js';
import { mention, type Button, type View } from '../../blocks/view.js';
import { checkMessageBlocks, checkModal } from '../fakes/slack-checks.js';

const alice = mention({ id: 'U0ALICE', name: 'alice' });

function button(actionId: Button['actionId'], label: string, value = 'env-7k2p9q', style?: Button['style']): Button {
  return { actionId, label, value, ...(style ? { style } : {}) };
}

describe('Slack renderer: one snapshot per kind of block', () => {
  const cases: Record<string, View> = {
    header: { text: 'Lab request', blocks: [{ kind: 'header', text: `Lab request from ${alice}` }] },
    text: { text: 'status', blocks: [{ kind: 'text', text: `*Running* for ${alice}: \`env-7k2p9q\`` }] },
    fields: {
      text: 'plan',
      blocks: [{ kind: 'fields', fields: [{ label: 'Preset', value: 'SOC Platform' }, { label: 'TTL', value: '8h' }] }],
    },
    list: { text: 'presets', blocks: [{ kind: 'list', items: ['`soc-platform` SOC Platform', '`quick-sandbox` Quick Sandbox'] }] },
    actions: {
      text: 'approve?',
      blocks: [{ kind: 'actions', buttons: [button('approve', 'Approve', 'env-7k2p9q', 'primary'), button('reject', 'Reject', 'env-7k2p9q', 'danger')] }],
    },
    context: { text: 'ref', blocks: [{ kind: 'context', text: 'Request id `abc`' }] },
    divider: { text: 'divider', blocks: [{ kind: 'divider' }] },
  };

  for (const [kind, view] of Object.entries(cases)) {
    it(`renders ${kind}`, () => {
      const rendered = renderSlackMessage(view);
      expect(rendered).toMatchSnapshot();
      expect(checkMessageBlocks(rendered.blocks)).toEqual([]);
    });
  }

  it('renders the reject-reason modal with the dialog context in private_metadata', () => {
    const modal = renderSlackModal(
      {
        callbackId: 'rejectReason',
        title: 'Reject env-7k2p9q',
        submitLabel: 'Reject',
        value: 'env-7k2p9q',
        fields: [{ kind: 'text', name: 'reason', label: 'Why is it rejected?', placeholder: 'Tell the requester', multiline: true, minLength: 3, maxLength: 500 }],
      },
      { value: 'env-7k2p9q', channelId: 'C0APPROVALS', responseUrl: 'https://hooks.slack.com/actions/T/1/abc' },
    );
    expect(modal).toMatchSnapshot();
    expect(checkModal(modal)).toEqual([]);
    expect(JSON.parse(modal.private_metadata ?? '')).toEqual({
      value: 'env-7k2p9q',
      channelId: 'C0APPROVALS',
      responseUrl: 'https://hooks.slack.com/actions/T/1/abc',
    });
  });
});

describe('Slack renderer: text', () => {
  it('keeps mention tokens and neutral markup, and escapes what Slack would parse', () => {
    expect(escapeMrkdwn(`${alice} asked for *soc* \`env-1\` <!channel> & <https://evil|click>`)).toBe(
      '<@U0ALICE|alice> asked for *soc* `env-1` &lt;!channel&gt; &amp; &lt;https://evil|click&gt;',
    );
  });

  it('cannot be tricked into a mention by text a user typed', () => {
    const rendered = renderSlackMessage({ text: 'name: <!here>', blocks: [{ kind: 'text', text: 'name: <@U999|boss> <!here>' }] });
    // A mention token is neutral markup (mention() builds it); a broadcast is not, and is escaped.
    expect(JSON.stringify(rendered)).not.toContain('<!here>');
    expect(rendered.text).toBe('name: &lt;!here&gt;');
  });

  it('shows mentions as @name where Slack takes plain text only', () => {
    expect(toPlainText(`Approved by ${alice}`)).toBe('Approved by @alice');
    const rendered = renderSlackMessage({ text: 'x', blocks: [{ kind: 'header', text: `For ${alice}` }] });
    expect(rendered.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'For @alice' } });
  });

  it('always sets a fallback text, even for a view without one', () => {
    expect(renderSlackMessage({ text: '', blocks: [{ kind: 'divider' }] }).text).not.toBe('');
  });
});

describe('Slack renderer: limits', () => {
  const long = 'x'.repeat(50_000);

  function worstCaseView(): View {
    const manyButtons = Array.from({ length: 30 }, (_, index) => button('extend1h', `${long}${index}`, long));
    return {
      text: long,
      blocks: [
        { kind: 'header', text: long },
        ...Array.from({ length: 60 }, () => ({ kind: 'text' as const, text: long })),
        { kind: 'fields', fields: Array.from({ length: 25 }, (_, index) => ({ label: `${long}${index}`, value: long })) },
        { kind: 'list', items: Array.from({ length: 500 }, (_, index) => `${index} ${long.slice(0, 200)}`) },
        { kind: 'context', text: long },
        { kind: 'actions', buttons: manyButtons },
      ],
    };
  }

  it('never exceeds Slack limits, however long and large the view', () => {
    const rendered = renderSlackMessage(worstCaseView());
    expect(rendered.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
    expect(rendered.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageTextLength);
    expect(checkMessageBlocks(rendered.blocks)).toEqual([]);
  });

  it('keeps the buttons and says how much was left out when blocks are capped', () => {
    const rendered = renderSlackMessage(worstCaseView());
    const types = rendered.blocks.map((block) => block.type);
    // 30 buttons need two actions blocks (25 + 5); both stay, at the end, after the summary.
    expect(types.slice(-3)).toEqual(['context', 'actions', 'actions']);
    const summary = rendered.blocks.at(-3) as { elements: { text: string }[] };
    expect(summary.elements[0]!.text).toMatch(/^…and \d+ more$/);
    const buttons = rendered.blocks.slice(-2).flatMap((block) => (block as { elements: unknown[] }).elements);
    expect(buttons).toHaveLength(30);
  });

  it('counts left-out list items, not blocks', () => {
    const items = Array.from({ length: 3000 }, (_, index) => `item ${index} ${'y'.repeat(100)}`);
    const rendered = renderSlackMessage({ text: 'list', blocks: [{ kind: 'list', items }] });
    const shown = rendered.blocks
      .filter((block) => block.type === 'section')
      .reduce((count, block) => count + ((block as { text: { text: string } }).text.text.split('\n').length), 0);
    const summary = rendered.blocks.at(-1) as { type: string; elements: { text: string }[] };
    expect(summary.type).toBe('context');
    expect(summary.elements[0]!.text).toBe(`…and ${3000 - shown} more`);
    expect(rendered.blocks).toHaveLength(SLACK_LIMITS.blocksPerMessage);
  });

  it('splits more than ten fields over several sections', () => {
    const fields = Array.from({ length: 23 }, (_, index) => ({ label: `L${index}`, value: `V${index}` }));
    const rendered = renderSlackMessage({ text: 'f', blocks: [{ kind: 'fields', fields }] });
    expect(rendered.blocks.map((block) => (block as { fields: unknown[] }).fields.length)).toEqual([10, 10, 3]);
  });

  it('clips a modal to Slack limits', () => {
    const modal = renderSlackModal(
      { callbackId: 'rejectReason', title: long, submitLabel: long, value: 'env-7k2p9q', fields: [{ kind: 'text', name: 'reason', label: long, placeholder: long, maxLength: 3000 }] },
      { value: 'env-7k2p9q', channelId: 'C1', responseUrl: long },
    );
    expect(checkModal(modal)).toEqual([]);
    expect(modal.title.text).toBe(clipText(long, SLACK_LIMITS.modalTitleLength));
    // A response_url that does not fit is left out rather than breaking the modal.
    expect(JSON.parse(modal.private_metadata ?? '')).toEqual({ value: 'env-7k2p9q', channelId: 'C1' });
  });
});
