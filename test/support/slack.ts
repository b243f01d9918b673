import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Slack for tests: a signer that builds Lambda function-URL events exactly as Slack signs
 * its requests (HMAC-SHA256 over `v0:{timestamp}:{body}`), and a stand-in Slack Web API that
 * records every call and answers like Slack does.
 */

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const TEST_BOT_TOKEN = 'xoxb-test-token';

export interface SignedEventOptions {
  /** Seconds since the epoch; defaults to now. */
  readonly timestamp?: number;
  readonly secret?: string;
  readonly contentType?: string;
  readonly retryNum?: number;
  /** Replaces the computed signature (forgeries). */
  readonly signature?: string;
}

/** A Lambda function-URL (payload v2) event carrying `body`, signed like Slack signs it. */
export function signedEvent(body: string, options: SignedEventOptions = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const secret = options.secret ?? TEST_SIGNING_SECRET;
  const signature =
    options.signature ?? `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/slack/events',
    rawQueryString: '',
    isBase64Encoded: false,
    body,
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-signature': signature,
      'x-slack-request-timestamp': String(timestamp),
      ...(options.retryNum === undefined
        ? {}
        : { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }),
    },
    requestContext: { http: { method: 'POST', path: '/slack/events' }, requestId: 'test' },
  };
}

let triggerCounter = 0;

/** The body of a slash command, as Slack form-encodes it. */
export function commandBody(command: string, userId: string, text = ''): string {
  triggerCounter++;
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0TEAM0001',
    team_domain: 'example',
    channel_id: 'C0GENERAL1',
    channel_name: 'general',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command,
    text,
    api_app_id: 'A0APP00001',
    response_url: 'https://hooks.slack.invalid/commands/1',
    trigger_id: `trigger-${triggerCounter}`,
  }).toString();
}

/** The body of an interaction (`payload=` JSON, form-encoded). */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const team = { id: 'T0TEAM0001', domain: 'example' };

/** A block_actions payload: a click on a button (`value`) or a select. */
export function blockAction(
  userId: string,
  actionId: string,
  value: string,
  where: { channel?: string; ts?: string; view?: Record<string, unknown> } = {},
) {
  triggerCounter++;
  return {
    type: 'block_actions',
    team,
    user: { id: userId, username: userId.toLowerCase(), team_id: team.id },
    api_app_id: 'A0APP00001',
    token: 'legacy',
    trigger_id: `trigger-${triggerCounter}`,
    response_url: 'https://hooks.slack.invalid/actions/1',
    container: where.view
      ? { type: 'view', view_id: where.view.id }
      : { type: 'message', message_ts: where.ts },
    ...(where.channel ? { channel: { id: where.channel, name: 'approvals' } } : {}),
    ...(where.ts ? { message: { type: 'message', ts: where.ts, text: '' } } : {}),
    ...(where.view ? { view: where.view } : {}),
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1' }],
  };
}

/** Input values of a modal, by block id then action id, as Slack reports them. */
export type StateValues = Record<string, Record<string, Record<string, unknown>>>;

export function textState(block: string, action: string, value: string | null): StateValues {
  return { [block]: { [action]: { type: 'plain_text_input', value } } };
}

export function selectState(block: string, action: string, value: string): StateValues {
  return {
    [block]: {
      [action]: {
        type: 'static_select',
        selected_option: { value, text: { type: 'plain_text', text: value } },
      },
    },
  };
}

/** A view_submission payload for modal `callbackId`, with `blocks` naming the inputs it shows. */
export function viewSubmission(
  userId: string,
  callbackId: string,
  values: StateValues,
  options: { viewId?: string; privateMetadata?: string } = {},
) {
  triggerCounter++;
  return {
    type: 'view_submission',
    team,
    user: { id: userId, username: userId.toLowerCase(), team_id: team.id },
    api_app_id: 'A0APP00001',
    token: 'legacy',
    trigger_id: `trigger-${triggerCounter}`,
    view: {
      id: options.viewId ?? `V0VIEW${String(triggerCounter).padStart(4, '0')}`,
      team_id: team.id,
      type: 'modal',
      callback_id: callbackId,
      private_metadata: options.privateMetadata ?? '{}',
      hash: 'h1',
      blocks: Object.keys(values).map((block_id) => ({ type: 'input', block_id })),
      state: { values },
      app_id: 'A0APP00001',
      bot_id: 'B0BOT00001',
      title: { type: 'plain_text', text: 'x' },
    },
  };
}

/** One recorded Web API call: the method and its parsed arguments. */
export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  /** What the stand-in answered. */
  readonly response: Record<string, unknown>;
}

/**
 * A stand-in Slack Web API on 127.0.0.1 (random port). Records each call and answers `ok`
 * like Slack: users.info with configured emails, usergroups.users.list with configured
 * members, chat.postMessage with a channel (a DM channel for a user id) and ts,
 * views.open with a view id.
 */
export class SlackStandIn {
  readonly calls: SlackCall[] = [];
  readonly emails = new Map<string, string | undefined>();
  readonly userGroups = new Map<string, string[]>();
  private server: Server | undefined;
  private ts = 1_700_000_000;
  private views = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const method = (req.url ?? '/').replace(/^\/(api\/)?/, '').split('?')[0] ?? '';
        const args = this.parse(raw, req.headers['content-type']);
        const response = this.answer(method, args);
        this.calls.push({ method, args, response });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(response));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(): void {
    this.calls.length = 0;
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
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'U0BOT00001', bot_id: 'B0BOT00001', team_id: 'T0TEAM0001' };
      case 'users.info': {
        const user = String(args.user);
        const email = this.emails.get(user);
        return { ok: true, user: { id: user, profile: email === undefined ? {} : { email } } };
      }
      case 'usergroups.users.list':
        return { ok: true, users: this.userGroups.get(String(args.usergroup)) ?? [] };
      case 'chat.postMessage': {
        const channel = String(args.channel);
        this.ts++;
        return {
          ok: true,
          channel: channel.startsWith('U') ? `D${channel.slice(1)}` : channel,
          ts: `${this.ts}.000100`,
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
