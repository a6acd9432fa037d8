import type { Button, DialogField, DialogView } from '../../../blocks/view.js';
import { attribute, html, trustedHtml, type SafeHtml } from '../../web/html.js';
import { layout } from '../../web/layout.js';
import { GENERAL_CHANNEL, type ChatMessage, type MemoryChat } from '../memory/chat.js';
import { SANDBOX_BOT_NAME, SANDBOX_PEOPLE, type SandboxPerson } from './people.js';
import { buttonElement, renderView } from './render-view.js';

/**
 * The sandbox page: who you are, the channels and your direct messages, the conversation you are in with its threads,
 * the dialog the bot opened for you, and a composer. Rendered on the server; htmx only boosts the forms and links and
 * reloads the live part when the chat changes.
 */
export const SANDBOX_PATHS = {
  page: '/sandbox',
  live: '/sandbox/live',
  events: '/sandbox/events',
  type: '/sandbox/type',
  click: '/sandbox/click',
  submit: '/sandbox/submit',
  cancel: '/sandbox/cancel',
  files: '/sandbox/files',
  stylesheet: '/sandbox/sandbox.css',
} as const;

export interface PageState {
  chat: MemoryChat;
  person: SandboxPerson;
  channelId: string;
  /** Where approval cards go. */
  approvalsChannel: string;
  /** The dialog open for the person, if any. */
  dialog: DialogView | undefined;
  /** The token every form carries. */
  csrfToken: string;
}

export const BANNER =
  'Sandbox: the people here are simulated and anyone at this keyboard can be any of them; the local provisioner creates nothing (each tool is a timed step). Only this machine can open this page.';

/** The query string of a view of the page. */
export function viewQuery(personId: string, channelId: string): string {
  return new URLSearchParams({ as: personId, channel: channelId }).toString();
}

export function sandboxPage(state: PageState): SafeHtml {
  return layout({
    title: `Sandbox · ${state.person.name} · ${channelTitle(state)}`,
    stylesheets: [SANDBOX_PATHS.stylesheet],
    bodyAttributes: trustedHtml(' hx-boost="true"'),
    body: html`<p class="banner" role="note">${BANNER}</p>
<header class="topbar">
  <h1>Aithroyz ChatOps <span class="muted">sandbox</span></h1>
  ${peoplePicker(state)}
</header>
<div class="workspace" hx-ext="sse" sse-connect="${SANDBOX_PATHS.events}?since=${state.chat.events.length}">
  ${liveRegion(state)}
  ${state.dialog ? dialogForm(state, state.dialog) : ''}
  ${composer(state)}
</div>`,
  });
}

/**
 * The part of the page that changes with the chat: the channel list and the conversation. The open dialog stays out
 * of it, so that what its user is typing survives the chat's changes; it opens and closes with the user's own posts.
 */
export function liveRegion(state: PageState): SafeHtml {
  const query = viewQuery(state.person.id, state.channelId);
  return html`<div id="live" class="live" hx-get="${SANDBOX_PATHS.live}?${query}" hx-trigger="sse:changed" hx-swap="outerHTML">
  ${channelList(state)}
  <main class="conversation" aria-label="${channelTitle(state)}">
    <h2 class="channel-title">${channelTitle(state)}</h2>
    <div class="messages" id="messages">${messagesOf(state)}</div>
  </main>
</div>`;
}

function peoplePicker(state: PageState): SafeHtml {
  return html`<nav class="people" aria-label="Who you are"><span class="muted">You are</span>
  ${SANDBOX_PEOPLE.map((person) => {
    const current = person.id === state.person.id;
    const channel = state.channelId.startsWith('dm-') ? state.chat.dmChannelOf(person.id) : state.channelId;
    return html`<a class="person${current ? ' current' : ''}" href="${SANDBOX_PATHS.page}?${viewQuery(person.id, channel)}"${attribute('aria-current', current ? 'true' : undefined)} data-person="${person.id}">${person.name} <small>${person.part}</small></a>`;
  })}</nav>`;
}

function channelList(state: PageState): SafeHtml {
  const link = (channelId: string, label: SafeHtml) => {
    const current = channelId === state.channelId;
    const count = state.chat.channel(channelId, state.person.id).length;
    return html`<li><a class="channel${current ? ' current' : ''}" href="${SANDBOX_PATHS.page}?${viewQuery(state.person.id, channelId)}"${attribute('aria-current', current ? 'page' : undefined)} data-channel="${channelId}">${label}${count > 0 ? html` <span class="count">${count}</span>` : ''}</a></li>`;
  };
  return html`<nav class="channels" aria-label="Channels">
  <h2>Channels</h2>
  <ul>${link(GENERAL_CHANNEL, html`# ${GENERAL_CHANNEL}`)}${link(state.approvalsChannel, html`# ${state.approvalsChannel}`)}</ul>
  <h2>Direct messages</h2>
  <ul>${link(state.chat.dmChannelOf(state.person.id), html`${SANDBOX_BOT_NAME} <small class="muted">(bot)</small>`)}</ul>
</nav>`;
}

function channelTitle(state: PageState): string {
  return state.channelId.startsWith('dm-') ? `Direct messages with ${SANDBOX_BOT_NAME}` : `# ${state.channelId}`;
}

function messagesOf(state: PageState): SafeHtml {
  const messages = state.chat.channel(state.channelId, state.person.id);
  if (messages.length === 0) {
    return html`<p class="empty muted">Nothing here yet. Type a command below, such as <code>/env presets</code> or <code>/env request soc-platform</code>.</p>`;
  }
  // Newest first in the document, shown bottom up (column-reverse): the view stays at the newest message with no script.
  return html`${[...messages].reverse().map((message) => messageCard(state, message, state.chat.thread(message)))}`;
}

function messageCard(state: PageState, message: ChatMessage, replies: ChatMessage[]): SafeHtml {
  return html`<article class="message tone-${message.view.tone ?? 'neutral'}" id="${message.id}" data-message="${message.id}">
  ${messageBody(state, message)}
  ${replies.length > 0
    ? html`<section class="thread" aria-label="Thread">
    <h4 class="thread-title">Thread · ${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</h4>
    ${replies.map((reply) => html`<div class="reply" id="${reply.id}" data-message="${reply.id}">${messageBody(state, reply)}</div>`)}
  </section>`
    : ''}
</article>`;
}

function messageBody(state: PageState, message: ChatMessage): SafeHtml {
  const onlyYou = message.visibleTo !== undefined;
  return html`<div class="meta"><span class="author">${SANDBOX_BOT_NAME}</span>${onlyYou ? html` <span class="only-you">Only visible to you</span>` : ''}${message.edits > 0 ? html` <span class="muted">(edited)</span>` : ''}</div>
  <div class="body">${renderView(message.view, (button) => buttonForm(state, message, button))}</div>
  ${message.files.map(
    (file) => html`<a class="file" href="${SANDBOX_PATHS.files}/${file.id}?${viewQuery(state.person.id, state.channelId)}" download="${file.name}" hx-boost="false">📎 ${file.name} <small class="muted">${file.content.length} bytes</small></a>`,
  )}`;
}

function hiddenFields(state: PageState): SafeHtml {
  return html`<input type="hidden" name="as" value="${state.person.id}"><input type="hidden" name="channel" value="${state.channelId}"><input type="hidden" name="csrf" value="${state.csrfToken}">`;
}

function buttonForm(state: PageState, message: ChatMessage, button: Button): SafeHtml {
  return html`<form class="button-form" method="post" action="${SANDBOX_PATHS.click}">${hiddenFields(state)}<input type="hidden" name="message" value="${message.id}"><input type="hidden" name="action" value="${button.actionId}">${buttonElement(button)}</form>`;
}

function dialogForm(state: PageState, dialog: DialogView): SafeHtml {
  return html`<section class="dialog card" role="dialog" aria-labelledby="dialog-title">
  <h3 id="dialog-title">${dialog.title}</h3>
  <form method="post" action="${SANDBOX_PATHS.submit}">${hiddenFields(state)}
    ${dialog.fields.map((field) => dialogField(field))}
    <div class="dialog-buttons"><button type="submit" class="primary">${dialog.submitLabel}</button>
    <button type="submit" formaction="${SANDBOX_PATHS.cancel}" formnovalidate>Cancel</button></div>
  </form>
</section>`;
}

function dialogField(field: DialogField): SafeHtml {
  const id = `field-${field.name}`;
  const label = html`<label for="${id}">${field.label}</label>`;
  const common = html` id="${id}" name="field:${field.name}"${attribute('placeholder', field.placeholder)}`;
  switch (field.kind) {
    case 'text':
      return field.multiline
        ? html`${label}<textarea${common}${attribute('minlength', field.minLength)}${attribute('maxlength', field.maxLength)} rows="3"></textarea>`
        : html`${label}<input type="text"${common}${attribute('minlength', field.minLength)}${attribute('maxlength', field.maxLength)}>`;
    case 'secret':
      return html`${label}<input type="password" autocomplete="off"${common}${attribute('minlength', field.minLength)}${attribute('maxlength', field.maxLength)}>`;
    case 'select':
      return html`${label}<select${common}>${field.options.map((option) => html`<option value="${option.value}">${option.label}</option>`)}</select>`;
  }
}

function composer(state: PageState): SafeHtml {
  return html`<form class="composer" method="post" action="${SANDBOX_PATHS.type}">${hiddenFields(state)}
  <label class="visually-hidden" for="composer-line">Message ${channelTitle(state)}</label>
  <input id="composer-line" name="line" type="text" autocomplete="off" autofocus required maxlength="4000" placeholder="/env request soc-platform · /env list · /env presets · /audit export · /team …">
  <button type="submit" class="primary">Send</button>
</form>`;
}
