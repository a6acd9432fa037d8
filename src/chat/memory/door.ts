import { randomUUID } from 'node:crypto';
import { isEmptyView, type DialogView } from '../../../blocks/view.js';
import { systemClock, type Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { resolveMentions, TYPED_NAME_MENTION, type MentionFinder } from '../mentions.js';
import type { Invocation, MentionedUser, Reply } from '../types.js';
import { buttonsOf, GENERAL_CHANNEL, type ChatMessage, type ChatPerson, type MemoryChat } from './chat.js';

/** The core's single entry (`handleInvocation` bound to the services). */
export type HandleInvocation = (invocation: Invocation) => Promise<Reply>;

export interface Sent {
  requestId: string;
  reply: Reply;
  /** The answer as the person saw it, when it said something. */
  shown: ChatMessage | undefined;
}

/** A dialog the bot opened for someone, until they submit it. */
interface OpenDialog {
  dialog: DialogView;
  channelId: string;
}

/**
 * People acting in the in-memory chat: what they type, click and submit becomes an invocation for the core (the
 * acting person is who the chat says they are), and the core's answer is shown as a chat would show it: only to
 * them, in place of the message they clicked, or as a dialog they fill in next.
 */
export class MemoryDoor {
  private readonly dialogs = new Map<string, OpenDialog>();

  constructor(
    private readonly chat: MemoryChat,
    private readonly handle: HandleInvocation,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Types a slash command (`/env request soc-platform`); `@name` mentions of people in the chat are resolved. */
  async type(person: ChatPerson, line: string, channelId = GENERAL_CHANNEL): Promise<Sent> {
    const match = /^\/(\S+)\s*([\s\S]*)$/u.exec(line.trim());
    if (!match) throw new Error(`"${line}" is not a slash command`);
    this.chat.acted(person, `typed: ${line.trim()}`);
    const typed: Invocation = { ...this.base(person, channelId), kind: 'command', command: match[1]!, text: match[2]! };
    const invocation = await resolveMentions(typed, this.mentionFinder(), this.log);
    return this.answer(person, channelId, invocation, undefined);
  }

  /** Clicks the button with this action on a message. */
  async click(person: ChatPerson, message: ChatMessage, actionId: string): Promise<Sent> {
    const current = this.chat.message(message.id);
    const button = buttonsOf(current.view).find((candidate) => candidate.actionId === actionId);
    if (!button) throw new Error(`message ${message.id} has no ${actionId} button`);
    this.chat.acted(person, `clicked ${button.label}`);
    const invocation: Invocation = {
      ...this.base(person, current.channelId),
      kind: 'action',
      actionId,
      value: button.value,
      message: { platform: this.chat.platform, channelId: current.channelId, messageId: current.id },
    };
    return this.answer(person, current.channelId, invocation, current);
  }

  /** Fills in and submits the dialog last opened for this person. */
  async submit(person: ChatPerson, values: Record<string, string>): Promise<Sent> {
    const open = this.dialogs.get(person.id);
    if (!open) throw new Error(`no dialog is open for ${person.name}`);
    this.dialogs.delete(person.id);
    this.chat.acted(person, `submitted “${open.dialog.title}”`);
    const invocation: Invocation = {
      ...this.base(person, open.channelId),
      kind: 'dialog',
      callbackId: open.dialog.callbackId,
      value: open.dialog.value,
      fields: values,
    };
    return this.answer(person, open.channelId, invocation, undefined);
  }

  /** Closes the dialog open for this person without submitting it (as a chat's Cancel does: the core hears nothing). */
  cancel(person: ChatPerson): void {
    const open = this.dialogs.get(person.id);
    if (!open) return;
    this.dialogs.delete(person.id);
    this.chat.acted(person, `closed “${open.dialog.title}”`);
  }

  /** The dialog open for this person, if any. */
  dialogOf(person: ChatPerson): DialogView | undefined {
    return this.dialogs.get(person.id)?.dialog;
  }

  private async answer(person: ChatPerson, channelId: string, invocation: Invocation, clicked: ChatMessage | undefined): Promise<Sent> {
    const reply = await this.handle(invocation);
    if (reply.replaceOriginal && clicked) this.chat.edit(clicked.id, reply.replaceOriginal);
    if (reply.openDialog) this.dialogs.set(person.id, { dialog: reply.openDialog, channelId });
    const shown = isEmptyView(reply.view) ? undefined : this.chat.post(channelId, reply.view, { visibleTo: person.id });
    return { requestId: invocation.requestId, reply, shown };
  }

  private base(person: ChatPerson, channelId: string) {
    const user = { platform: this.chat.platform, id: person.id, name: person.name };
    return { requestId: randomUUID(), platform: this.chat.platform, user, channelId, receivedAt: this.clock.now() };
  }

  /** `@name` of someone in the chat, as people type it. */
  private mentionFinder(): MentionFinder {
    return {
      pattern: TYPED_NAME_MENTION,
      lookup: async (names) =>
        new Map(
          names.flatMap((name) => {
            const person = this.chat.personNamed(name);
            const user: MentionedUser | undefined = person && { id: person.id, name: person.name, bot: person.bot === true };
            return user ? [[name, user] as const] : [];
          }),
        ),
    };
  }
}
