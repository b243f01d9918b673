import { eventsOverSlackClient } from '../../../functions/wiring/event-wiring.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../../functions/slack/create-handler.js';
import { createSlackApp, type SlackAppOptions } from '../../../functions/slack/app.js';
import type * as SlackAppModule from '../../../functions/slack/app.js';
import { COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { SLACK_SECRET_MAX_AGE_SECONDS } from '../../../shared/adapters/slack/runtime.js';
import { ManualClock, RecordingQueue, SequentialIds } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import { commandBody, signedEvent, SlackStandIn } from '../../support/slack.js';
import { EMAILS, SLACK_TEST_POLICY, silentAppLogger } from './harness.js';

// Counts the Bolt apps the handler builds (a rotation rebuilds one; an unchanged secret does not).
vi.mock('../../../functions/slack/app.js', async (importOriginal) => {
  const original = await importOriginal<typeof SlackAppModule>();
  return { ...original, createSlackApp: vi.fn(original.createSlackApp) };
});
const appsBuilt = () => vi.mocked(createSlackApp).mock.calls.length;

const db = useLocalTables();
const slack = new SlackStandIn();
const lambdaContext = { awsRequestId: 'test-invocation', functionName: 'slack' } as unknown as Context;
const MAX_AGE_MS = SLACK_SECRET_MAX_AGE_SECONDS * 1000;
const FIRST = { signingSecret: 'first-signing-secret-0123456789', botToken: 'xoxb-one' };
const SECOND = { signingSecret: 'second-signing-secret-012345678', botToken: 'xoxb-two' };

/** The bot token each Web API call carried: a pass-through in front of the stand-in. */
const tokens: { method: string; token: string }[] = [];
let proxy: Server;
let proxyUrl = '';

beforeAll(async () => {
  await slack.start();
  for (const [user, email] of Object.entries(EMAILS)) slack.emails.set(user, email);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '');
      tokens.push({ method, token: (req.headers.authorization ?? '').replace(/^Bearer /, '') });
      void fetch(`${slack.url}${method}`, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
        body: Buffer.concat(chunks),
      })
        .then((answer) => answer.text())
        .then((text) => res.setHeader('content-type', 'application/json').end(text));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await slack.stop();
});

/** A Slack handler whose secret the test rotates, on a clock the test moves. */
function rotatingHandler() {
  let secret = FIRST;
  let offsetMs = 0;
  let loads = 0;
  let failNext = false;
  const nowMs = () => Date.now() + offsetMs;
  const handler = createHandler({
    nowMs,
    load: async (): Promise<SlackAppOptions> => {
      loads++;
      if (failNext) {
        failNext = false;
        throw new Error('Secrets Manager unavailable');
      }
      return {
        ...secret,
        slackApiUrl: proxyUrl,
        logger: silentAppLogger,
        deps: {
          store: db().requests,
          audit: db().audit,
          policy: { current: () => SLACK_TEST_POLICY },
          clock: new ManualClock(),
          ids: new SequentialIds(),
          queue: new RecordingQueue(),
          logger: silentAppLogger,
        },
        events: eventsOverSlackClient(
          {
            doc: db().doc,
            tables: db().names,
            policy: { current: () => SLACK_TEST_POLICY },
            clock: new ManualClock(),
          },
          silentAppLogger,
        ),
      };
    },
  });
  return {
    rotate: (next: typeof FIRST) => void (secret = next),
    advance: (ms: number) => void (offsetMs += ms),
    failNextLoad: () => void (failNext = true),
    loads: () => loads,
    /** `/request-access` signed with `signingSecret` at the handler's current time. */
    send: (signingSecret: string) =>
      handler(
        signedEvent(commandBody(COMMANDS.requestAccess, 'UDEV1'), {
          secret: signingSecret,
          timestamp: Math.floor(nowMs() / 1000),
        }) as never,
        lambdaContext,
      ),
  };
}

beforeEach(() => {
  slack.reset();
  tokens.length = 0;
});

describe('Slack secret rotation', () => {
  it('gives Bolt the bot token without a token check: a new app calls no auth.test', async () => {
    const h = rotatingHandler();
    expect((await h.send(FIRST.signingSecret)).statusCode).toBe(200);
    h.rotate(SECOND);
    h.advance(MAX_AGE_MS + 1_000);
    expect((await h.send(SECOND.signingSecret)).statusCode).toBe(200);
    const methods = tokens.map((t) => t.method);
    expect(methods.filter((m) => m === 'views.open')).toHaveLength(2);
    expect(methods).not.toContain('auth.test');
  });

  it('keeps the loaded secret until it is older than the max age, then uses the rotated one', async () => {
    const h = rotatingHandler();
    expect((await h.send(FIRST.signingSecret)).statusCode).toBe(200);
    h.rotate(SECOND);

    // A wide margin: the real time the first request took also ages the configuration.
    h.advance(MAX_AGE_MS - 30_000);
    expect((await h.send(SECOND.signingSecret)).statusCode).toBe(401);
    expect((await h.send(FIRST.signingSecret)).statusCode).toBe(200);
    expect(h.loads()).toBe(1);
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set([FIRST.botToken]));

    h.advance(31_000);
    expect((await h.send(FIRST.signingSecret)).statusCode).toBe(401);
    expect((await h.send(SECOND.signingSecret)).statusCode).toBe(200);
    expect(h.loads()).toBe(2);
    // Bolt was rebuilt with the new bot token: every later Web API call carries it.
    const since = tokens.findIndex((t) => t.token === SECOND.botToken);
    expect(since).toBeGreaterThan(0);
    expect(tokens.slice(since).map((t) => t.token)).toEqual(tokens.slice(since).map(() => SECOND.botToken));
    expect(tokens.slice(since).map((t) => t.method)).toContain('views.open');
  });

  it('reloads an unchanged secret without rebuilding the app', async () => {
    const h = rotatingHandler();
    const built = appsBuilt();
    expect((await h.send(FIRST.signingSecret)).statusCode).toBe(200);
    expect(appsBuilt()).toBe(built + 1);

    h.advance(MAX_AGE_MS + 1_000);
    expect((await h.send(FIRST.signingSecret)).statusCode).toBe(200);
    expect(h.loads()).toBe(2);
    expect(appsBuilt()).toBe(built + 1);
  });

  it('shares one load between concurrent first requests', async () => {
    const h = rotatingHandler();
    const responses = await Promise.all([h.send(FIRST.signingSecret), h.send(FIRST.signingSecret)]);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(h.loads()).toBe(1);
  });

  it('retries a failed load on the next request instead of keeping the failure', async () => {
    const h = rotatingHandler();
    h.failNextLoad();
    await expect(h.send(FIRST.signingSecret)).rejects.toThrow(/Secrets Manager unavailable/);
    expect((await h.send(FIRST.signingSecret)).statusCode).toBe(200);
    expect(h.loads()).toBe(2);
  });
});
