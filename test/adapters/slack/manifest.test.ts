import { WebClient } from '@slack/web-api';
import { SlackReviewPoster } from '../../../shared/adapters/slack/review-poster.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from '@slack/bolt';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as manifestCli } from '../../../functions/slack-manifest/main.js';
import { createHandler } from '../../../functions/slack/create-handler.js';
import { slackClientEvents } from '../../../functions/wiring/event-wiring.js';
import { createSlackApp } from '../../../functions/slack/app.js';
import { InMemorySlackMessageStore } from '../../../shared/adapters/slack/message-store.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import {
  SLACK_FRAMEWORK_METHODS,
  SLACK_METHOD_SCOPES,
  slackAppManifest,
  type SlackAppManifest,
} from '../../../shared/adapters/slack/manifest.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import {
  InMemoryAuditLog,
  InMemoryRequestStore,
  ManualClock,
  RecordingQueue,
  SequentialIds,
  staticPolicy,
} from '../../support/fakes.js';
import {
  SlackStandIn,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
  blockAction,
  commandBody,
  interactionBody,
  selectState,
  signedEvent,
  textState,
  viewSubmission,
} from '../../support/slack.js';
import { EMAILS, SLACK_TEST_POLICY, silentAppLogger } from '../../functions/slack/harness.js';

/**
 * The Slack app manifest is generated from the code's ids; these tests prove it covers what
 * the code really does: every listener the real Bolt app registers, every Web API method the
 * main flows call (and no scope that nothing needs).
 */

const HTTP_URL = 'https://abc123.lambda-url.eu-west-1.on.aws/';

function inertDeps() {
  const audit = new InMemoryAuditLog();
  return {
    store: new InMemoryRequestStore(audit),
    audit,
    policy: staticPolicy(SLACK_TEST_POLICY),
    clock: new ManualClock(),
    ids: new SequentialIds(),
    queue: new RecordingQueue(),
    logger: silentAppLogger,
  };
}

/** The registered subscribers over in-memory message references. */
function inertEvents() {
  return slackClientEvents(
    {
      policy: staticPolicy(SLACK_TEST_POLICY),
      clock: new ManualClock(),
      messages: new InMemorySlackMessageStore(),
    },
    silentAppLogger,
  );
}

/** What a Bolt app registers, by kind: commands, events, actions, views, shortcuts, options, messages. */
type Registrations = Record<
  'command' | 'event' | 'action' | 'view' | 'shortcut' | 'options' | 'message',
  unknown[]
>;

const REGISTRATION_METHODS = [
  'command',
  'event',
  'action',
  'view',
  'shortcut',
  'options',
  'message',
] as const;

/** Builds the real app with every Bolt registration method recorded, then calls `extra` on it. */
function recordRegistrations(
  slackApiUrl: string,
  extra: (app: App) => void = () => undefined,
): Registrations {
  const seen: Registrations = {
    command: [],
    event: [],
    action: [],
    view: [],
    shortcut: [],
    options: [],
    message: [],
  };
  const spies = REGISTRATION_METHODS.map((method) => {
    const original = App.prototype[method] as (...args: unknown[]) => unknown;
    return vi.spyOn(App.prototype, method).mockImplementation(function (this: App, ...args: unknown[]) {
      seen[method].push(args[0]);
      return original.apply(this, args);
    } as never);
  });
  try {
    const { app } = createSlackApp({
      signingSecret: TEST_SIGNING_SECRET,
      botToken: TEST_BOT_TOKEN,
      slackApiUrl,
      deps: inertDeps(),
      events: inertEvents(),
      logger: silentAppLogger,
    });
    extra(app);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return seen;
}

/** Each registration the manifest does not provide for (an empty list: the manifest is complete). */
function manifestGaps(manifest: SlackAppManifest, seen: Registrations): string[] {
  const gaps: string[] = [];
  const commands = new Set(manifest.features.slash_commands.map((c) => c.command));
  const events = new Set(manifest.settings.event_subscriptions.bot_events);
  for (const command of seen.command) {
    if (typeof command !== 'string') gaps.push(`command ${String(command)} is not a fixed name`);
    else if (!commands.has(command)) gaps.push(`slash command ${command} is not in the manifest`);
  }
  for (const command of commands) {
    if (!seen.command.includes(command))
      gaps.push(`the manifest declares ${command}, but no listener handles it`);
  }
  for (const event of seen.event) {
    if (typeof event !== 'string') gaps.push(`event ${String(event)} is not a fixed name`);
    else if (!events.has(event)) gaps.push(`event ${event} is not in the manifest's bot_events`);
  }
  for (const event of events) {
    if (!seen.event.includes(event))
      gaps.push(`the manifest subscribes to ${event}, but no listener handles it`);
  }
  if (seen.event.includes('app_home_opened') && !manifest.features.app_home.home_tab_enabled) {
    gaps.push('app_home_opened is handled but the Home tab is off');
  }
  if ((seen.action.length > 0 || seen.view.length > 0) && !manifest.settings.interactivity.is_enabled) {
    gaps.push('actions or views are handled but interactivity is off');
  }
  if (seen.shortcut.length > 0)
    gaps.push(`shortcuts ${JSON.stringify(seen.shortcut)} are not in the manifest`);
  if (seen.options.length > 0)
    gaps.push('options (external selects) need an options load URL in the manifest');
  if (seen.message.length > 0) gaps.push('message listeners need message.* bot events and their scopes');
  return gaps;
}

/** Every `client.<family>.<method>(` call in the broker's source (adapters, use cases, functions). */
function methodsInSource(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/\bclient\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)) {
          // Only Slack's families: SDK clients use `client.send(`.
          if (
            /^(chat|users|usergroups|views|conversations|reactions|files|apps|auth|team|pins)\./.test(
              match[1]!,
            )
          ) {
            found.add(match[1]!);
          }
        }
      }
    }
  };
  for (const root of ['shared', 'functions']) walk(join(import.meta.dirname, '../../..', root));
  return found;
}

describe('the Slack app manifest', () => {
  const slack = new SlackStandIn();
  beforeAll(async () => {
    await slack.start();
    for (const [user, email] of Object.entries(EMAILS)) slack.emails.set(user, email);
    slack.userGroups.set('SLEADS1', ['ULEAD3']);
  });
  afterAll(async () => {
    await slack.stop();
  });

  it('covers every command and event the real app registers, with interactivity and the Home tab', () => {
    const seen = recordRegistrations(slack.url);
    expect(seen.command.length).toBeGreaterThan(0);
    expect(seen.action.length).toBeGreaterThan(0);
    expect(manifestGaps(slackAppManifest({ requestUrl: HTTP_URL }), seen)).toEqual([]);
    expect(manifestGaps(slackAppManifest({ socketMode: true }), seen)).toEqual([]);
  });

  it('fails when a listener is added without its manifest entry', () => {
    const seen = recordRegistrations(slack.url, (app) => {
      app.event('member_joined_channel', async () => undefined);
      app.command('/access-report', async ({ ack }) => ack());
      app.shortcut('jit_shortcut', async ({ ack }) => ack());
    });
    expect(manifestGaps(slackAppManifest({ requestUrl: HTTP_URL }), seen)).toEqual([
      'slash command /access-report is not in the manifest',
      "event member_joined_channel is not in the manifest's bot_events",
      'shortcuts ["jit_shortcut"] are not in the manifest',
    ]);
  });

  it('declares exactly the Slack Web API methods the source calls', () => {
    expect([...methodsInSource()].sort()).toEqual(Object.keys(SLACK_METHOD_SCOPES).sort());
  });

  describe('against the Web API the main flows call', () => {
    it('asks for the scopes of the methods called, and for no scope nothing uses', async () => {
      slack.reset();
      const handler = createHandler({
        load: async () => ({
          signingSecret: TEST_SIGNING_SECRET,
          botToken: TEST_BOT_TOKEN,
          slackApiUrl: slack.url,
          deps: inertDeps(),
          events: inertEvents(),
          logger: silentAppLogger,
        }),
      });
      const context = { awsRequestId: 'manifest', functionName: 'slack' } as unknown as Context;
      const send = async (body: string, contentType?: string) => {
        const response = await handler(
          signedEvent(body, contentType ? { contentType } : {}) as never,
          context,
        );
        expect(response.statusCode).toBe(200);
      };
      const form = (target: string, ticket: string | null) => ({
        ...selectState(BLOCKS.target, ACTIONS.target, target),
        ...textState(BLOCKS.duration, ACTIONS.duration, '1h'),
        ...textState(BLOCKS.reason, ACTIONS.reason, 'Deploy the hotfix'),
        ...textState(BLOCKS.ticket, ACTIONS.ticket, ticket),
      });

      // Request: the command opens the modal; choosing a target redraws it; the submit posts to approvers.
      await send(commandBody(COMMANDS.requestAccess, 'UDEV1'));
      const modal = {
        id: 'V0MODAL001',
        hash: 'h1',
        callback_id: CALLBACKS.requestModal,
        state: { values: form('dev-group', null) },
      };
      await send(interactionBody({ ...blockAction('UDEV1', ACTIONS.target, ''), view: modal }));
      await send(interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, form('dev-group', null))));
      // A click by someone who may not approve is answered privately; an approver's updates the post.
      await send(
        interactionBody(
          blockAction('UDEV2', ACTIONS.approve, 'req-0001', { channel: 'CAPPROVE1', ts: '1.0' }),
        ),
      );
      await send(
        interactionBody(
          blockAction('ULEAD1', ACTIONS.approve, 'req-0001', { channel: 'CAPPROVE1', ts: '1.0' }),
        ),
      );
      // A role whose approvers include a Slack user group; then the Home tab; then break-glass.
      await send(
        interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, form('prod-role', 'OPS-1'))),
      );
      await send(
        JSON.stringify({
          type: 'event_callback',
          team_id: 'T0TEAM0001',
          api_app_id: 'A0APP00001',
          event: { type: 'app_home_opened', user: 'UDEV1', tab: 'home', channel: 'DDEV1' },
          event_id: 'Ev1',
          event_time: 1,
        }),
        'application/json',
      );
      await send(commandBody(COMMANDS.breakGlass, 'UONCALL1'));
      // The weekly access review: its summary with a chart attached, through Slack's upload flow.
      const reviewPoster = new SlackReviewPoster(new WebClient(TEST_BOT_TOKEN, { slackApiUrl: slack.url }));
      await reviewPoster.findPosted({ channel: 'CSEC00001', period: 'p', since: new Date(0) });
      await reviewPoster.post({
        channel: 'CSEC00001',
        text: 'Access review',
        files: [{ filename: 'chart.svg', title: 'chart', content: '<svg/>' }],
        period: 'p',
      });

      // The upload URL is not a Web API method (the stand-in records it as `upload/<file id>`).
      const called = new Set(slack.calls.map((c) => c.method).filter((m) => !m.startsWith('upload/')));
      for (const method of SLACK_FRAMEWORK_METHODS) called.delete(method);
      // Every method called is declared (so its scopes are asked for)...
      expect([...called].filter((m) => !(m in SLACK_METHOD_SCOPES))).toEqual([]);
      // ...and the flows call every declared method, so no declared scope is unused.
      expect([...called].sort()).toEqual(Object.keys(SLACK_METHOD_SCOPES).sort());
      const needed = new Set(['commands', ...[...called].flatMap((m) => SLACK_METHOD_SCOPES[m as never])]);
      expect(slackAppManifest({ requestUrl: HTTP_URL }).oauth_config.scopes.bot).toEqual([...needed].sort());
    });
  });

  it('sets the request URL everywhere over HTTP, and none in Socket Mode', () => {
    const http = slackAppManifest({ requestUrl: HTTP_URL });
    expect(http.settings.socket_mode_enabled).toBe(false);
    expect(http.settings.event_subscriptions.request_url).toBe(HTTP_URL);
    expect(http.settings.interactivity.request_url).toBe(HTTP_URL);
    expect(http.features.slash_commands.map((c) => c.url)).toEqual([HTTP_URL, HTTP_URL, HTTP_URL]);
    const socket = slackAppManifest({ socketMode: true });
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('url');
  });

  it.each([
    { description: 'no URL and no Socket Mode', options: {}, message: /--url/ },
    { description: 'a plain-http URL', options: { requestUrl: 'http://example.com/' }, message: /https/ },
    { description: 'a malformed URL', options: { requestUrl: 'not a url' }, message: /not a URL/ },
    { description: 'both modes', options: { requestUrl: HTTP_URL, socketMode: true }, message: /Choose one/ },
  ])('refuses $description', ({ options, message }) => {
    expect(() => slackAppManifest(options)).toThrow(ConfigError);
    expect(() => slackAppManifest(options)).toThrow(message);
  });

  it('prints valid JSON from `npm run slack:manifest`, and exits 2 on bad arguments', () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    expect(manifestCli(['--url', HTTP_URL], io)).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual(slackAppManifest({ requestUrl: HTTP_URL }));
    expect(manifestCli(['--socket-mode', '--name', 'Access'], io)).toBe(0);
    expect(JSON.parse(out[1]!)).toMatchObject({
      settings: { socket_mode_enabled: true },
      display_information: { name: 'Access' },
    });
    expect(manifestCli(['--bogus'], io)).toBe(2);
    expect(manifestCli([], io)).toBe(2);
    expect(err.join('\n')).toContain('Usage:');
  });
});
