import type { Button, View, ViewBlock } from '../../../blocks/view.js';
import { attribute, html, joinHtml, type SafeHtml } from '../../web/html.js';

/**
 * Neutral views as HTML, the way the sandbox shows them: the same views Slack and Mattermost render, with their
 * markup (`code`, ``` blocks, *bold*, ~strike~, <url|label>, mention tokens) turned into elements and every piece of
 * text escaped. Buttons become small forms (see `ButtonForm`), so they work without JavaScript.
 */

/** How a button of a message is posted back: the page gives the form's target and hidden fields. */
export type ButtonForm = (button: Button) => SafeHtml;

export function renderView(view: View, buttonForm: ButtonForm): SafeHtml {
  if (view.blocks.length === 0) return html`<div class="view-text">${renderText(view.text)}</div>`;
  return joinHtml(view.blocks.map((block) => renderBlock(block, buttonForm)));
}

function renderBlock(block: ViewBlock, buttonForm: ButtonForm): SafeHtml {
  switch (block.kind) {
    case 'header':
      return html`<h3 class="view-header">${renderText(block.text)}</h3>`;
    case 'text':
      return html`<div class="view-text">${renderText(block.text)}</div>`;
    case 'fields':
      return html`<dl class="view-fields">${block.fields.map((field) => html`<div><dt>${renderText(field.label)}</dt><dd>${renderText(field.value)}</dd></div>`)}</dl>`;
    case 'list':
      return html`<ul class="view-list">${block.items.map((item) => html`<li>${renderText(item)}</li>`)}</ul>`;
    case 'actions':
      return html`<div class="view-actions">${block.buttons.map((button) => buttonForm(button))}</div>`;
    case 'context':
      return html`<p class="view-context">${renderText(block.text)}</p>`;
    case 'divider':
      return html`<hr class="view-divider">`;
  }
}

/** The HTML of a button (inside the form the page wraps around it). */
export function buttonElement(button: Button): SafeHtml {
  return html`<button type="submit"${attribute('class', button.style)}>${button.label}</button>`;
}

const CODE = /```([\s\S]*?)```|`([^`\n]+)`/g;
const PROSE = /<@([A-Za-z0-9._-]+)\|([^<>|]*)>|<((?:https?|mailto):[^|<>\s]+)(?:\|([^<>]*))?>|(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?=$|[^\w*])|(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?=$|[^\w~])|\n/g;

/** View text as HTML: code kept exactly as written, markup turned into elements, line breaks kept. */
export function renderText(text: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let last = 0;
  for (const match of text.matchAll(CODE)) {
    parts.push(renderProse(text.slice(last, match.index)));
    parts.push(match[1] !== undefined ? html`<pre><code>${match[1].replace(/^\n/, '')}</code></pre>` : html`<code>${match[2]}</code>`);
    last = match.index + match[0].length;
  }
  parts.push(renderProse(text.slice(last)));
  return joinHtml(parts);
}

function renderProse(text: string): SafeHtml {
  const parts: (SafeHtml | string)[] = [];
  let last = 0;
  for (const match of text.matchAll(PROSE)) {
    parts.push(text.slice(last, match.index));
    const [whole, , mentionName, url, label, boldLead, bold, strikeLead, strike] = match;
    if (mentionName !== undefined) parts.push(html`<span class="mention">@${mentionName}</span>`);
    else if (url !== undefined) parts.push(html`<a href="${url}" rel="noopener noreferrer" target="_blank">${label ?? url}</a>`);
    else if (bold !== undefined) parts.push(html`${boldLead}<strong>${bold}</strong>`);
    else if (strike !== undefined) parts.push(html`${strikeLead}<s>${strike}</s>`);
    else if (whole === '\n') parts.push(html`<br>`);
    last = match.index + whole.length;
  }
  parts.push(text.slice(last));
  return joinHtml(parts);
}
