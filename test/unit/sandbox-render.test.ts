import { describe, expect, it } from 'vitest';
import type { View } from '../../blocks/view.js';
import { mention } from '../../blocks/view.js';
import { buttonElement, renderText, renderView } from '../../src/chat/sandbox/render-view.js';
import { html } from '../../src/web/html.js';

describe('views in the sandbox page', () => {
  it('turn view markup into elements and escape everything people wrote', () => {
    const text = `*Lab* for ${mention({ id: 'alice', name: 'alice' })}: \`env-<x>\` ~old~ <https://example.com/a?b=1&c=2|the docs & more>\n<script>alert(1)</script>`;
    expect(renderText(text).value).toBe(
      '<strong>Lab</strong> for <span class="mention">@alice</span>: <code>env-&lt;x&gt;</code> <s>old</s> ' +
        '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">the docs &amp; more</a>' +
        '<br>&lt;script&gt;alert(1)&lt;/script&gt;',
    );
    expect(renderText('```\n*not bold* <@U1|x>\n```').value).toBe('<pre><code>*not bold* &lt;@U1|x&gt;\n</code></pre>');
  });

  it('render every kind of block, and buttons through the form the page gives', () => {
    const view: View = {
      text: 'fallback',
      blocks: [
        { kind: 'header', text: 'Title' },
        { kind: 'fields', fields: [{ label: 'TTL', value: '4h' }] },
        { kind: 'list', items: ['one'] },
        { kind: 'context', text: 'small' },
        { kind: 'divider' },
        { kind: 'actions', buttons: [{ actionId: 'approve', label: 'Approve <now>', style: 'primary', value: 'env-1' }] },
      ],
    };
    const rendered = renderView(view, (button) => html`<form data-value="${button.value}">${buttonElement(button)}</form>`).value;
    expect(rendered).toBe(
      '<h3 class="view-header">Title</h3><dl class="view-fields"><div><dt>TTL</dt><dd>4h</dd></div></dl><ul class="view-list"><li>one</li></ul>' +
        '<p class="view-context">small</p><hr class="view-divider"><div class="view-actions"><form data-value="env-1"><button type="submit" class="primary">Approve &lt;now&gt;</button></form></div>',
    );
    expect(renderView({ text: 'only <text>', blocks: [] }, () => html``).value).toBe('<div class="view-text">only &lt;text&gt;</div>');
  });
});
