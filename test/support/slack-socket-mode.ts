import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SlackWebApiSandbox } from '../../shared/adapters/sandbox/slack-web-api.js';

/**
 * A local stand-in for Slack's Socket Mode: `apps.connections.open` (app-level token) answers
 * with a `ws://` URL on this server; a connection gets `hello`, then the envelopes a test sends
 * (`slash_commands`, `interactive`, `events_api`), each of which must be acknowledged with its
 * `envelope_id` within Slack's 3 seconds; `disconnect` asks the client to reconnect. Every other
 * Web API method is passed to a {@link SlackWebApiSandbox}, which records it.
 *
 * The WebSocket side is a minimal RFC 6455 server (text, ping/pong and close frames): no
 * WebSocket server library is a dependency of this project.
 */

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Slack's deadline for acknowledging an envelope. */
export const SLACK_ACK_DEADLINE_MS = 3000;

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

interface PendingAck {
  readonly resolve: (payload: Record<string, unknown>) => void;
  readonly timer: NodeJS.Timeout;
}

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65_536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)]);
  return Buffer.concat([header, payload]);
}

function bigLength(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(length));
  return out;
}

/** One client connection: parses the client's (masked) frames and answers pings and closes. */
class Connection {
  private buffer = Buffer.alloc(0);
  closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly onText: (text: string) => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  sendText(text: string): void {
    if (!this.closed) this.socket.write(frame(OPCODE.text, Buffer.from(text)));
  }

  end(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private drain(): void {
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0]! & 0x0f;
      const masked = (this.buffer[1]! & 0x80) !== 0;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (this.buffer.length < offset + length) return;
      const payload = Buffer.from(this.buffer.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= this.buffer[maskOffset + (i % 4)]!;
      this.buffer = this.buffer.subarray(offset + length);
      this.handle(opcode, payload);
    }
  }

  private handle(opcode: number, payload: Buffer): void {
    if (opcode === OPCODE.text) this.onText(payload.toString('utf8'));
    else if (opcode === OPCODE.ping) this.socket.write(frame(OPCODE.pong, payload));
    else if (opcode === OPCODE.close) {
      // Complete the close handshake, then drop the connection.
      if (!this.closed) this.socket.end(frame(OPCODE.close, payload.subarray(0, 2)));
      this.closed = true;
    }
  }
}

export class SocketModeStandIn {
  /** Connections opened so far (one per `hello` sent). */
  readonly connections: Connection[] = [];
  /** The app-level tokens `apps.connections.open` was called with. */
  readonly appTokens: string[] = [];
  /** Envelopes acknowledged, with how long each took. */
  readonly acks: { envelopeId: string; type: EnvelopeType; ms: number }[] = [];
  private server: Server | undefined;
  private readonly pending = new Map<string, PendingAck>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  url = '';

  constructor(
    private readonly web: SlackWebApiSandbox,
    private readonly ackDeadlineMs = SLACK_ACK_DEADLINE_MS,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.answerWebApi(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => this.upgrade(req, socket));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.end();
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      return this.server ? this.server.close(() => resolve()) : resolve();
    });
  }

  /** Resolves once `count` connections have been greeted with `hello`. */
  waitForConnections(count: number): Promise<void> {
    if (this.connections.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /**
   * Sends an envelope on the newest connection and resolves with the acknowledgement's payload;
   * rejects when it is not acknowledged within `deadlineMs` (Slack's 3 seconds by default).
   */
  send(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    deadlineMs = this.ackDeadlineMs,
  ): Promise<Record<string, unknown>> {
    const connection = this.connections.at(-1);
    if (!connection || connection.closed) return Promise.reject(new Error('no open Socket Mode connection'));
    const envelopeId = randomUUID();
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`${type} envelope ${envelopeId} was not acknowledged within ${deadlineMs} ms`));
      }, deadlineMs);
      this.pending.set(envelopeId, {
        timer,
        resolve: (ack) => {
          this.acks.push({ envelopeId, type, ms: Date.now() - started });
          resolve(ack);
        },
      });
      connection.sendText(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
        }),
      );
    });
  }

  /** Asks the client to reconnect, as Slack does before recycling a connection. */
  disconnect(): void {
    this.connections
      .at(-1)
      ?.sendText(
        JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'stand-in' } }),
      );
  }

  private async answerWebApi(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = (req.url ?? '/').replace(/^\/(api\/)?/, '').split('?')[0] ?? '';
    const authorization = req.headers.authorization ?? '';
    if (method === 'apps.connections.open') {
      const token = authorization.replace(/^Bearer /, '');
      // Slack opens connections for app-level tokens only.
      if (!token.startsWith('xapp-'))
        return { status: 200, body: JSON.stringify({ ok: false, error: 'invalid_auth' }) };
      this.appTokens.push(token);
      const { port } = this.server?.address() as AddressInfo;
      return {
        status: 200,
        body: JSON.stringify({ ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}` }),
      };
    }
    const response = await fetch(new URL(method, this.web.url), {
      method: 'POST',
      headers: {
        'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded',
        authorization,
      },
      body: Buffer.concat(chunks),
    });
    return { status: response.status, body: await response.text() };
  }

  private upgrade(req: IncomingMessage, socket: Duplex): void {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || !req.url?.startsWith('/link/')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + WEBSOCKET_GUID)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const connection = new Connection(socket, (text) => this.receive(text));
    this.connections.push(connection);
    connection.sendText(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'stand-in', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A0APP00001' },
      }),
    );
    for (const waiter of this.waiters.filter((w) => this.connections.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  private receive(text: string): void {
    let message: { envelope_id?: string; payload?: Record<string, unknown> };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    const pending = message.envelope_id ? this.pending.get(message.envelope_id) : undefined;
    if (!pending || !message.envelope_id) return;
    clearTimeout(pending.timer);
    this.pending.delete(message.envelope_id);
    pending.resolve(message.payload ?? {});
  }
}
