import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { View } from '../../../blocks/view.js';
import type { Door } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { acceptForms, formFieldsOf, type FormFields } from '../../web/forms.js';
import { html } from '../../web/html.js';
import { sendHtml } from '../../web/layout.js';
import { onlyFromThisMachine } from '../../web/local-only.js';
import { GENERAL_CHANNEL, type ChatPerson, type MemoryChat } from '../memory/chat.js';
import type { MemoryDoor } from '../memory/door.js';
import { SANDBOX_PEOPLE, type SandboxPerson } from './people.js';
import { liveRegion, sandboxPage, SANDBOX_PATHS, viewQuery, type PageState } from './page.js';
import { SANDBOX_STYLESHEET } from './style.js';

export interface SandboxDoorOptions {
  chat: MemoryChat;
  door: MemoryDoor;
  approvalsChannel: string;
  log: Logger;
  /** Tests: a known token; by default a random one per process. */
  csrfToken?: string;
}

/** Live streams say "still here" this often, so that proxies and browsers keep them open. */
const HEARTBEAT_MS = 25_000;
/** Changes that come in a burst (a deploy's steps) are announced once. */
const CHANGE_COALESCE_MS = 50;

/**
 * The sandbox's routes: the page, its live part, a Server-Sent Events stream that says when the chat changed, and the
 * forms people act with (type a command, click a button, submit or cancel a dialog), each turned into the in-memory
 * chat's door calls, so the core sees the same invocations as from Slack or Mattermost. Every route answers only this
 * machine, and every state change carries the page's CSRF token.
 */
export function sandboxDoor(options: SandboxDoorOptions): Door {
  const { chat, door, log } = options;
  const csrfToken = options.csrfToken ?? randomBytes(24).toString('base64url');

  const stateOf = (fields: Record<string, string | undefined>): PageState => {
    const person = SANDBOX_PEOPLE.find((candidate) => candidate.id === fields.as) ?? SANDBOX_PEOPLE[0]!;
    const shared = [GENERAL_CHANNEL, options.approvalsChannel];
    const own = chat.dmChannelOf(person.id);
    const channelId = fields.channel && (shared.includes(fields.channel) || fields.channel === own) ? fields.channel : GENERAL_CHANNEL;
    return { chat, person, channelId, approvalsChannel: options.approvalsChannel, dialog: door.dialogOf(chatPerson(person)), csrfToken };
  };
  const chatPerson = (person: SandboxPerson): ChatPerson => chat.join({ id: person.id, name: person.name });
  const backToPage = (reply: FastifyReply, state: PageState) => reply.code(303).header('Location', `${SANDBOX_PATHS.page}?${viewQuery(state.person.id, state.channelId)}`).send();
  /** Says something only this person sees, where they are (as a chat answers what it cannot take). */
  const notice = (state: PageState, text: string) => {
    const view: View = { text, blocks: [{ kind: 'text', text }], tone: 'warning' };
    chat.post(state.channelId, view, { visibleTo: state.person.id });
  };
  const tokenMatches = (given: string | undefined) => {
    const expected = Buffer.from(csrfToken);
    const actual = Buffer.from(given ?? '');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };
  /** Runs a state change from a form: refused without the page's token; failures become a notice, never a 500. */
  const change = async (fields: FormFields, reply: FastifyReply, act: (state: PageState, person: ChatPerson) => Promise<unknown>) => {
    if (!tokenMatches(fields.csrf)) {
      log.warn({ door: 'sandbox' }, 'refused a sandbox form without the page token');
      return reply.code(403).header('Content-Type', 'text/plain; charset=utf-8').send('This form is out of date or did not come from the sandbox page: reload the page.\n');
    }
    const state = stateOf(fields);
    try {
      await act(state, chatPerson(state.person));
    } catch (error) {
      log.error({ err: error, door: 'sandbox' }, 'a sandbox action failed');
      notice(state, `That did not work: ${error instanceof Error ? error.message : String(error)}`);
    }
    return backToPage(reply, state);
  };

  return async (app) => {
    app.addHook('onRequest', onlyFromThisMachine);
    acceptForms(app);

    app.get(SANDBOX_PATHS.page, async (request, reply) => sendHtml(reply, sandboxPage(stateOf(queryOf(request.query)))));
    app.get(SANDBOX_PATHS.live, async (request, reply) => sendHtml(reply, liveRegion(stateOf(queryOf(request.query)))));
    app.get(SANDBOX_PATHS.stylesheet, async (_request, reply) =>
      reply.header('Content-Type', 'text/css; charset=utf-8').header('Cache-Control', 'no-cache').send(SANDBOX_STYLESHEET),
    );

    app.get(SANDBOX_PATHS.events, (request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      raw.write('retry: 2000\n\n');
      let pending: NodeJS.Timeout | undefined;
      const announce = () => {
        pending = undefined;
        raw.write(`event: changed\ndata: ${chat.events.length}\n\n`);
      };
      const stopListening = chat.onChange(() => {
        pending ??= setTimeout(announce, CHANGE_COALESCE_MS);
      });
      // What changed between the page's rendering and this stream's start (a worker's edit while the browser was
      // loading the page) is announced at once: the page says how far it had seen.
      const since = Number(queryOf(request.query).since);
      if (!Number.isInteger(since) || since !== chat.events.length) announce();
      const heartbeat = setInterval(() => raw.write(': still here\n\n'), HEARTBEAT_MS);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearTimeout(pending);
        clearInterval(heartbeat);
        stopListening();
        forget();
        raw.end();
      };
      const forget = app.closeOnShutdown(end);
      request.raw.once('close', end);
    });

    app.post(SANDBOX_PATHS.type, async (request, reply) => {
      const fields = formFieldsOf(request.body);
      return change(fields, reply, async (state, person) => {
        const line = (fields.line ?? '').trim();
        if (line === '') return;
        if (!line.startsWith('/')) {
          notice(state, `Only commands reach the bot here: start with a slash, such as \`/env help\`.`);
          return;
        }
        await door.type(person, line, state.channelId);
      });
    });

    app.post(SANDBOX_PATHS.click, async (request, reply) => {
      const fields = formFieldsOf(request.body);
      return change(fields, reply, async (state, person) => {
        const message = chat.messages.find((candidate) => candidate.id === fields.message);
        const seen = message && (message.visibleTo === undefined || message.visibleTo === person.id) && (!message.channelId.startsWith('dm-') || message.channelId === chat.dmChannelOf(person.id));
        if (!message || !seen) {
          notice(state, 'That message is not there any more.');
          return;
        }
        if (!message.view.blocks.some((block) => block.kind === 'actions' && block.buttons.some((button) => button.actionId === fields.action))) {
          notice(state, 'That button is not there any more: the message has changed since.');
          return;
        }
        await door.click(person, message, fields.action ?? '');
      });
    });

    app.post(SANDBOX_PATHS.submit, async (request, reply) => {
      const fields = formFieldsOf(request.body);
      return change(fields, reply, async (state, person) => {
        if (!door.dialogOf(person)) {
          notice(state, 'That form is closed already.');
          return;
        }
        const values = Object.fromEntries(Object.entries(fields).filter(([name]) => name.startsWith('field:')).map(([name, value]) => [name.slice(6), value]));
        await door.submit(person, values);
      });
    });

    app.post(SANDBOX_PATHS.cancel, async (request, reply) => {
      const fields = formFieldsOf(request.body);
      return change(fields, reply, async (_state, person) => door.cancel(person));
    });

    app.get(`${SANDBOX_PATHS.files}/:fileId`, async (request, reply) => {
      const { fileId } = request.params as { fileId: string };
      const state = stateOf(queryOf(request.query));
      const found = chat.file(fileId);
      // A file is sent to whom it was uploaded for: it is in their direct messages.
      if (!found || found.message.channelId !== chat.dmChannelOf(state.person.id)) {
        return sendHtml(reply, html`<p>There is no such file for ${state.person.name}.</p>`, 404);
      }
      const name = found.file.name.replace(/[^A-Za-z0-9._-]/g, '_');
      return reply
        .header('Content-Type', name.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/octet-stream')
        .header('Content-Disposition', `attachment; filename="${name}"`)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Cache-Control', 'no-store')
        .send(found.file.content);
    });
  };
}

function queryOf(query: unknown): Record<string, string | undefined> {
  if (typeof query !== 'object' || query === null) return {};
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, typeof value === 'string' ? value : undefined]));
}
