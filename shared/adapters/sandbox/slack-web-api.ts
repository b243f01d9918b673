import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded Web API call: the method and its parsed arguments. */
export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  /** What the stand-in answered. */
  readonly response: Record<string, unknown>;
}

/** A Slack platform error the stand-in answers for one method (Slack's `{ ok: false }`). */
export interface SlackFailure {
  /** Slack's error code: `missing_scope`, `channel_not_found`, `not_in_channel`... */
  readonly error: string;
  /** The scope Slack names on `missing_scope`. */
  readonly needed?: string;
  /** Fails only the calls whose arguments match (say, one channel); every call by default. */
  readonly when?: (args: Record<string, unknown>) => boolean;
}

/**
 * A stand-in Slack Web API on 127.0.0.1. Records each call and answers `ok` like Slack:
 * users.info with configured emails, usergroups.users.list with configured members,
 * chat.postMessage with a channel (a DM channel for a user id) and ts, views.open with a
 * view id, files.getUploadURLExternal with an upload URL on itself (the upload is recorded as
 * an `upload/<file id>` call). Tests assert on its recorded calls; the local runner points SLACK_API_URL at it
 * when no Slack workspace is configured, so a newcomer sees every message the broker sends.
 */
export class SlackWebApiSandbox {
  readonly calls: SlackCall[] = [];
  readonly emails = new Map<string, string | undefined>();
  readonly userGroups = new Map<string, string[]>();
  /** Platform errors to answer, by method (see failWith); cleared by reset(). */
  private readonly failures = new Map<string, SlackFailure>();
  private server: Server | undefined;
  /** Called with each recorded call (the local runner prints them). */
  onCall: ((call: SlackCall) => void) | undefined;
  /** The email users.info reports for a user with none configured (none by default). */
  defaultEmail: ((userId: string) => string) | undefined;
  /** Messages posted with chat.postMessage, per channel, oldest first (conversations.history). */
  private readonly messages = new Map<string, { ts: string; text: unknown; metadata?: unknown }[]>();
  private ts = 1_700_000_000;
  private views = 0;
  private files = 0;
  url = '';

  /** Starts listening on `host`:`port` (a free port by default). */
  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const method = (req.url ?? '/').replace(/^\/(api\/)?/, '').split('?')[0] ?? '';
        const args = this.parse(raw, req.headers['content-type']);
        const response = this.answer(method, args);
        const call = { method, args, response };
        this.calls.push(call);
        this.onCall?.(call);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(response));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, host, resolve));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(): void {
    this.calls.length = 0;
    this.failures.clear();
    this.messages.clear();
  }

  /** Answers `method` with `{ ok: false, error, needed }` like Slack does, until reset(). */
  failWith(method: string, failure: SlackFailure): void {
    this.failures.set(method, failure);
  }

  /** The recorded calls of one method. */
  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private parse(raw: string, contentType: string | undefined): Record<string, unknown> {
    if (contentType?.includes('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      // The Web API form-encodes objects and arrays as JSON strings.
      out[key] = /^[[{]/.test(value) ? safeJson(value) : value;
    }
    return out;
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const failure = this.failures.get(method);
    if (failure && (failure.when?.(args) ?? true)) {
      return { ok: false, error: failure.error, ...(failure.needed ? { needed: failure.needed } : {}) };
    }
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'U0BOT00001', bot_id: 'B0BOT00001', team_id: 'T0TEAM0001' };
      case 'users.info': {
        const user = String(args.user);
        const email = this.emails.has(user) ? this.emails.get(user) : this.defaultEmail?.(user);
        return { ok: true, user: { id: user, profile: email === undefined ? {} : { email } } };
      }
      case 'usergroups.users.list':
        return { ok: true, users: this.userGroups.get(String(args.usergroup)) ?? [] };
      case 'chat.postMessage': {
        const channel = String(args.channel);
        this.ts++;
        const posted = channel.startsWith('U') ? `D${channel.slice(1)}` : channel;
        const ts = `${this.ts}.000100`;
        const kept = this.messages.get(posted) ?? [];
        kept.push({
          ts,
          text: args.text,
          ...(args.metadata === undefined ? {} : { metadata: args.metadata }),
        });
        this.messages.set(posted, kept);
        return { ok: true, channel: posted, ts };
      }
      case 'conversations.history': {
        // Newest first, metadata only when asked for; `oldest` is not applied (the stand-in's
        // ts are not wall-clock times) and everything fits one page.
        const all = [...(this.messages.get(String(args.channel)) ?? [])].reverse();
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        return {
          ok: true,
          messages: all.map(({ metadata, ...m }) => ({
            type: 'message',
            ...m,
            ...(withMetadata && metadata !== undefined ? { metadata } : {}),
          })),
          has_more: false,
        };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts };
      case 'views.open':
      case 'views.update':
      case 'views.publish':
        this.views++;
        return {
          ok: true,
          view: { id: typeof args.view_id === 'string' ? args.view_id : `V0OPEN${this.views}` },
        };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users).slice(1)}` } };
      case 'files.getUploadURLExternal': {
        this.files++;
        const id = `F0REVIEW${this.files}`;
        return { ok: true, file_id: id, upload_url: `${this.url.replace(/api\/$/, '')}upload/${id}` };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: args.files };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${this.ts}.000200` };
      default:
        return { ok: true };
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
