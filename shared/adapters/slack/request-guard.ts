import { isValidSlackRequest } from '@slack/bolt';
import * as z from 'zod';

/**
 * The gate in front of Bolt: refuses, before any listener runs (so nothing is written),
 * a body too large, a request not signed with our secret or stamped more than five minutes
 * away from our clock, either side (401), and a signed body that is not a Slack payload we
 * understand (400). Bolt's receiver verifies the signature again on its own (but refuses
 * only the past); this check decides the status code early.
 */

/** How far a request's timestamp may be from our clock, either side (Slack's own rule). */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Slack's largest interactive payloads (a modal's full state) stay far below this. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface SlackHttpEvent {
  readonly body?: string | null;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly isBase64Encoded?: boolean;
}

export type GuardVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly statusCode: 400 | 401 | 413; readonly reason: string };

const id = z.string().min(1).max(64);

const command = z.looseObject({
  command: z.string().regex(/^\/[\w-]{1,32}$/),
  user_id: id,
  trigger_id: z.string().min(1).max(256),
  text: z.string().max(4000).optional(),
});

const interaction = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('block_actions'),
    user: z.looseObject({ id }),
    trigger_id: z.string().min(1).max(256).optional(),
    actions: z.array(z.looseObject({ action_id: z.string().min(1).max(255) })).min(1),
  }),
  z.looseObject({
    type: z.literal('view_submission'),
    user: z.looseObject({ id }),
    // Slack always sends the modal's blocks and state; the listeners read both.
    view: z.looseObject({
      id,
      callback_id: z.string().min(1).max(255),
      blocks: z.array(z.looseObject({})).max(100),
      state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({}))) }),
    }),
  }),
  // Bolt reads the view of a closed modal before any listener runs.
  z.looseObject({ type: z.literal('view_closed'), user: z.looseObject({ id }), view: z.looseObject({ id }) }),
]);

const eventEnvelope = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string().max(512) }),
  z.looseObject({ type: z.literal('event_callback'), event: z.looseObject({ type: z.string().min(1) }) }),
]);

function header(event: SlackHttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** The raw body as Bolt's receiver reads it. */
export function rawBodyOf(event: SlackHttpEvent): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('ascii') : event.body;
}

function bad(statusCode: 400 | 401 | 413, reason: string): GuardVerdict {
  return { ok: false, statusCode, reason };
}

/** Decides whether a Lambda HTTP event may reach the Bolt app. `nowMs` is the wall clock. */
export function inspectSlackRequest(
  event: SlackHttpEvent,
  signingSecret: string,
  nowMs: number,
): GuardVerdict {
  const body = rawBodyOf(event);
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) return bad(413, 'body too large');
  const signature = header(event, 'x-slack-signature');
  const timestamp = Number(header(event, 'x-slack-request-timestamp'));
  // Why: only Slack knows the signing secret; a stale timestamp means a replayed request, and
  // one from the future is a request signed ahead of time to be replayed later.
  if (
    !signature ||
    !Number.isFinite(timestamp) ||
    Math.abs(nowMs / 1000 - timestamp) > MAX_CLOCK_SKEW_SECONDS ||
    !isValidSlackRequest({
      signingSecret,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: nowMs,
    })
  ) {
    return bad(401, 'invalid signature');
  }
  const contentType = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(body);
      const payload = form.get('payload');
      if (payload !== null) {
        return interaction.safeParse(JSON.parse(payload)).success
          ? { ok: true }
          : bad(400, 'malformed interaction');
      }
      return command.safeParse(Object.fromEntries(form)).success
        ? { ok: true }
        : bad(400, 'malformed command');
    }
    if (contentType === 'application/json') {
      return eventEnvelope.safeParse(JSON.parse(body)).success ? { ok: true } : bad(400, 'malformed event');
    }
  } catch {
    return bad(400, 'unparsable body');
  }
  return bad(400, 'unsupported content type');
}
