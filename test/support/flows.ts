import { and, eq, inArray } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { auditLog } from '../../src/db/schema/audit.js';
import type { Outcome } from '../../src/errors.js';
import type { ChatMessage, ChatUser, ChatWorld, SentRequest } from '../fakes/chat-world.js';
import { eventually } from './services.js';

/** What the flow tests need besides the world: readable texts, waits on what users see, and the audit trail. */

const INVOCATION_EVENTS = ['command.invoked', 'action.clicked'] as const;

/** Text as a person reads it: mention tokens as @name, Slack's escapes undone. */
export function readable(text: string): string {
  return text
    .replace(/<@[A-Za-z0-9._-]+\|([^<>|]*)>/g, '@$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function envIdIn(text: string | undefined): string {
  const found = /env-[a-z0-9]{6}/.exec(text ?? '');
  if (!found) throw new Error(`no environment id in: ${text ?? '(nothing)'}`);
  return found[0];
}

export function actionIds(message: ChatMessage): string[] {
  return message.buttons.map((button) => button.actionId);
}

/** What a flow drives and reads: the platform's people and fake, served by one bot process or several. */
export type FlowWorld = Pick<ChatWorld, 'platform' | 'driver' | 'approvalsChannel' | 'dialogsOpenedFor'>;

export class Flow {
  /** Every request sent, with the outcome its audit entry must have. */
  private readonly expected: { requestId: string; outcome: Outcome; what: string }[] = [];

  /** `db`: the bot's database, where the audit trail is read. */
  constructor(
    readonly world: FlowWorld,
    private readonly db: Db,
  ) {}

  get driver() {
    return this.world.driver;
  }

  /** Notes the outcome a request's audit entry must have; checked together by `checkAuditTrail`. */
  expectAudit(sent: SentRequest, outcome: Outcome, what: string): SentRequest {
    expect(sent.status, what).toBe(200);
    expect(sent.requestId, `${what}: the bot's request id`).toBeTruthy();
    this.expected.push({ requestId: sent.requestId!, outcome, what });
    return sent;
  }

  /** Types a command and returns the answer as the user saw it, with its audit outcome noted. */
  async command(user: ChatUser, line: string, outcome: Outcome = 'ok'): Promise<{ sent: SentRequest; text: string }> {
    const sent = this.expectAudit(await this.driver.command(user, line), outcome, line);
    expect(sent.reply, `the answer to ${line}`).toBeDefined();
    return { sent, text: readable(sent.reply!.text) };
  }

  async click(user: ChatUser, message: ChatMessage, actionId: string, outcome: Outcome = 'ok'): Promise<SentRequest> {
    return this.expectAudit(await this.driver.click(user, message, actionId), outcome, `${user.name} clicked ${actionId}`);
  }

  /** Clicks a button that opens a dialog, and waits for the dialog to open. */
  async clickForDialog(user: ChatUser, message: ChatMessage, actionId: string): Promise<SentRequest> {
    const before = this.world.dialogsOpenedFor(user);
    const sent = await this.click(user, message, actionId);
    await this.driver.waitFor(() => this.world.dialogsOpenedFor(user) > before, 10_000);
    return sent;
  }

  /** The newest thing only `user` saw (or was sent by DM) that matches. */
  async shownTo(user: ChatUser, match: (text: string, message: ChatMessage) => boolean, what: string): Promise<ChatMessage> {
    return this.driver.waitFor(
      () => [...this.driver.ephemerals(user), ...this.driver.dms(user)].reverse().find((message) => match(readable(message.text), message)),
      10_000,
    ).catch((error: unknown) => {
      throw new Error(`${user.name} was never shown ${what}: ${(error as Error).message}`);
    });
  }

  async dm(user: ChatUser, match: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<ChatMessage> {
    return this.driver.waitFor(() => this.driver.dms(user).find((message) => match(readable(message.text))), timeoutMs).catch((error: unknown) => {
      throw new Error(`${user.name} never got a DM with ${what}: ${(error as Error).message}`);
    });
  }

  /** The approval card of a lab, once it is posted with its buttons. */
  approvalCard(envId: string): Promise<ChatMessage> {
    return this.driver.waitFor(
      () => this.driver.channel(this.world.approvalsChannel).find((message) => message.text.includes(envId) && message.buttons.length > 0),
      10_000,
    );
  }

  /**
   * Every request sent so far has exactly one `command.invoked` / `action.clicked` entry, on this platform; returns
   * how many such entries this platform has in all.
   */
  async checkAuditTrail(): Promise<number> {
    const ids = this.expected.map((item) => item.requestId);
    const db = this.db;
    const rows = await eventually(async () => {
      const found = await db
        .select()
        .from(auditLog)
        .where(and(inArray(auditLog.eventType, [...INVOCATION_EVENTS]), inArray(auditLog.requestId, ids)));
      return found.length >= ids.length ? found : undefined;
    }, 10_000, 'an audit entry for every request');
    for (const item of this.expected) {
      const entries = rows.filter((row) => row.requestId === item.requestId);
      expect(entries.map((entry) => ({ outcome: entry.outcome, platform: entry.platform })), item.what).toEqual([
        { outcome: item.outcome, platform: this.world.platform },
      ]);
    }
    const all = await db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(and(inArray(auditLog.eventType, [...INVOCATION_EVENTS]), eq(auditLog.platform, this.world.platform)));
    return all.length;
  }

  /** The audit entry of one request, once written. */
  auditOf(sent: SentRequest) {
    const db = this.db;
    return eventually(async () => {
      const [row] = await db.select().from(auditLog).where(and(eq(auditLog.requestId, sent.requestId!), inArray(auditLog.eventType, [...INVOCATION_EVENTS])));
      return row;
    }, 10_000, `the audit entry of request ${sent.requestId}`);
  }

  get sentCount(): number {
    return this.expected.length;
  }
}
