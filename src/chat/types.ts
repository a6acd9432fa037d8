import type { View, DialogView } from '../../blocks/view.js';
import type { Platform, UserRef } from '../domain/users.js';
import type { Outcome } from '../errors.js';

/** Where a posted message lives: enough to edit it or reply in its thread. Slack: channel + ts; Mattermost: post id. */
export interface MessageRef {
  platform: Platform;
  channelId: string;
  messageId: string;
}

/**
 * A file to upload into a user's DM (the audit CSV). The content is streamed, never held whole in memory: doors whose
 * upload needs the length first spool it to a temporary file.
 */
export interface UploadFile {
  filename: string;
  title: string;
  /** Message posted with the file. */
  comment: string;
  content: NodeJS.ReadableStream;
}

/** A person of a platform's directory, as its user search finds them (never a bot or a deactivated account). */
export interface DirectoryUser {
  id: string;
  /** The handle (`alice`). */
  name: string;
  /** The full name, when the platform has one. */
  realName: string;
}

/** The most people one directory search returns. */
export const DIRECTORY_SEARCH_LIMIT = 20;

/**
 * The outbound half of a chat platform: what workflows and workers may do in chat. Implemented by each platform
 * adapter and by a recording notifier in tests.
 */
export interface Notifier {
  readonly platform: Platform;
  post(channelId: string, view: View): Promise<MessageRef>;
  update(message: MessageRef, view: View): Promise<void>;
  /** Reply in the thread whose root is `root`. */
  reply(root: MessageRef, view: View): Promise<MessageRef>;
  /** Direct message to a user (opens the DM channel as needed). */
  dm(userId: string, view: View): Promise<MessageRef>;
  /** Uploads a file into the user's DM. */
  upload(userId: string, file: UploadFile): Promise<void>;
  /**
   * People of the platform whose handle or full name contains `text` (case-insensitive), at most `limit`, bots and
   * deactivated accounts left out: how the console picks someone to invite.
   */
  searchUsers(text: string, limit: number): Promise<DirectoryUser[]>;
  /**
   * The person whose address on the platform is `email` (compared without regard to case), or undefined when nobody
   * active has it: how a sign-in with a verified email finds the chat account. Bots and deactivated accounts are
   * never found.
   */
  findUserByEmail(email: string): Promise<DirectoryUser | undefined>;
}

/** Everything the core needs to know about an inbound request, whichever platform it came from. */
interface InvocationBase {
  /** Our id for this request: in logs, audit entries and error replies. */
  requestId: string;
  platform: Platform;
  /** The verified acting user (from the signed payload, never from a button's value). */
  user: UserRef;
  channelId: string;
  /** Time the request reached us (for ack-latency metrics). */
  receivedAt: Date;
}

/** A user named in a command's text, as the door resolved it: the text holds them as `mention()` tokens. */
export interface MentionedUser {
  id: string;
  name: string;
  /** A bot account rather than a person. */
  bot: boolean;
}

export interface CommandInvocation extends InvocationBase {
  kind: 'command';
  /** The slash command without its slash: `env` or `audit`. */
  command: string;
  /** Everything after the command, as typed, except that the users it names are written as `mention()` tokens. */
  text: string;
  /**
   * The users the door resolved from the text; a mention token for anyone else was typed, not resolved, and names
   * nobody. Text that names no user comes with none.
   */
  mentions?: readonly MentionedUser[];
}

export interface ActionInvocation extends InvocationBase {
  kind: 'action';
  actionId: string;
  /** The button's value (an environment id). Its authenticity is the adapter's job; its authority is never trusted. */
  value: string;
  /** The message the button sat in. */
  message: MessageRef | undefined;
}

export interface DialogSubmission extends InvocationBase {
  kind: 'dialog';
  callbackId: string;
  /** What the dialog was opened about (an environment id). */
  value: string;
  fields: Record<string, string>;
}

export type Invocation = CommandInvocation | ActionInvocation | DialogSubmission;

/** What a handler answers: an ephemeral reply, optionally an edit of the clicked message, or a dialog to open. */
export interface Reply {
  /** Shown only to the user who acted. */
  view: View;
  /** Replaces the message the button sat in (destroy confirmation → "Destroying…"). */
  replaceOriginal?: View;
  /** Open a dialog instead of (or before) answering: the reject reason. */
  openDialog?: DialogView;
  /**
   * Problems with a dialog's fields, by field name, in words that never repeat what was typed: the door shows each
   * under its field and keeps the dialog open.
   */
  fieldErrors?: Record<string, string>;
  /** The outcome written to the audit log for this request (set by `handleInvocation`), e.g. to keep a dialog open on a refusal. */
  outcome?: Outcome;
}
