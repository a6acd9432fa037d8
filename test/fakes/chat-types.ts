/** What users are and see in a chat, with the same shapes on both platforms' drivers. */

export interface ChatUser {
  id: string;
  name: string;
}

export interface ChatButton {
  /** The button's action (`approve`, `destroyConfirm`, ...). */
  actionId: string;
  value: string;
  label: string;
}

/** A message as a user sees it. */
export interface ChatMessage {
  channelId: string;
  id: string;
  /** The thread root, for replies. */
  threadId: string | undefined;
  /** Everything the message shows as text (fallback, blocks or attachments), one item per line. */
  text: string;
  buttons: ChatButton[];
  files: { id: string; name: string; title: string }[];
  /** Set when only this user sees it (command answers, ephemeral notes). */
  visibleTo: string | undefined;
  edits: number;
}

export interface SentRequest {
  status: number;
  /** The bot's request id, as written in its audit entry (unknown over Slack's Socket Mode). */
  requestId: string | undefined;
  /** The command's immediate answer as the user sees it; for Mattermost clicks, the `ephemeral_text` shown. */
  reply: ChatMessage | undefined;
  /**
   * For a dialog submission the bot refused field by field: each field's problem, as the form shows it under the
   * field while it stays open (Slack's `response_action: errors`, Mattermost's `errors`).
   */
  fieldErrors?: Record<string, string>;
}
