import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketAck {
  envelopeId: string;
  /** What the app answered with (the slash command's reply), if anything. */
  payload: Record<string, unknown> | undefined;
  /** Milliseconds from sending the envelope to its ack. */
  ms: number;
}

const SOCKET_PATH = '/socket-mode';
const SERVER_PING_MS = 10_000;

/**
 * The Socket Mode side of the fake: one-time URLs from apps.connections.open, a `hello` on connect, envelopes sent
 * to the connected app, and the acks it sends back.
 */
export class FakeSocketMode {
  readonly acks: SocketAck[] = [];
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly clients = new Set<WebSocket>();
  private readonly waiting = new Map<string, { sentAt: number; resolve(ack: SocketAck): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private readonly connectionWaiters: (() => void)[] = [];
  private counter = 0;

  constructor(
    private readonly wsBaseUrl: string,
    private readonly appId: string,
    /** Told of every envelope sent and every ack received, for the fake's call log. */
    private readonly onEvent: (method: 'socket.envelope' | 'socket.ack', params: Record<string, unknown>) => void = () => undefined,
  ) {}

  get connections(): number {
    return this.clients.size;
  }

  issueUrl(): string {
    const ticket = randomBytes(8).toString('hex');
    this.tickets.add(ticket);
    return `${this.wsBaseUrl}${SOCKET_PATH}?ticket=${ticket}`;
  }

  /** Takes an HTTP upgrade for the Socket Mode path with a valid one-time ticket; false leaves it to the caller. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== SOCKET_PATH) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return true;
    }
    this.server.handleUpgrade(req, socket, head, (client) => this.accept(client));
    return true;
  }

  private accept(client: WebSocket): void {
    this.clients.add(client);
    const ping = setInterval(() => client.ping(), SERVER_PING_MS);
    ping.unref();
    client.on('message', (data) => this.onMessage(String(data)));
    client.on('close', () => {
      clearInterval(ping);
      this.clients.delete(client);
    });
    client.send(JSON.stringify({ type: 'hello', num_connections: this.clients.size, connection_info: { app_id: this.appId }, debug_info: { host: 'fake-slack' } }));
    for (const resolve of this.connectionWaiters.splice(0)) resolve();
  }

  private onMessage(text: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (typeof message.envelope_id !== 'string') return;
    const waiter = this.waiting.get(message.envelope_id);
    const payload = typeof message.payload === 'object' && message.payload !== null && Object.keys(message.payload).length > 0
      ? (message.payload as Record<string, unknown>)
      : undefined;
    const ack = { envelopeId: message.envelope_id, payload, ms: waiter ? Date.now() - waiter.sentAt : 0 };
    this.acks.push(ack);
    this.onEvent('socket.ack', { envelopeId: ack.envelopeId, payload: ack.payload, ms: ack.ms });
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiting.delete(message.envelope_id);
    waiter.resolve(ack);
  }

  /** Resolves once an app is connected (at once if one is). */
  waitForConnection(timeoutMs = 5000): Promise<void> {
    if (this.clients.size > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Socket Mode connection arrived')), timeoutMs);
      this.connectionWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends an envelope to the connected app and resolves with its ack (Slack waits 3 s for it). */
  deliver(type: EnvelopeType, payload: Record<string, unknown>, timeoutMs = 3000): Promise<SocketAck> {
    const client = [...this.clients].at(-1);
    if (!client) return Promise.reject(new Error('no app is connected over Socket Mode'));
    this.counter += 1;
    const envelopeId = `envelope-${this.counter}-${randomBytes(4).toString('hex')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelopeId);
        reject(new Error(`envelope ${envelopeId} was not acked within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(envelopeId, { sentAt: Date.now(), resolve, reject, timer });
      client.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api' }));
      this.onEvent('socket.envelope', { envelopeId, type, payload });
    });
  }

  /** Asks the app to reconnect, as Slack does before rotating a connection. */
  disconnectAll(reason = 'refresh_requested'): void {
    for (const client of this.clients) client.send(JSON.stringify({ type: 'disconnect', reason }));
  }

  async close(): Promise<void> {
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('the fake Slack closed'));
    }
    this.waiting.clear();
    for (const client of this.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
