import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/config.js';
import { startLocalBroker, type LocalBroker } from '../../../functions/local/runner.js';
import { PEOPLE } from '../../../functions/local/scenario.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { SocketModeStandIn } from '../../support/slack-socket-mode.js';
import {
  SlackStandIn,
  blockAction,
  commandBody,
  selectState,
  textState,
  viewSubmission,
} from '../../support/slack.js';

/**
 * Socket Mode end to end: the local runner with SLACK_APP_TOKEN connects to a stand-in of
 * Slack's Socket Mode (apps.connections.open through SLACK_API_URL, then a WebSocket), and
 * /request-access → approve → grant runs over envelopes, each acknowledged within 3 seconds.
 */

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function approveButtonValue(blocks: unknown): string | undefined {
  const parsed = (typeof blocks === 'string' ? JSON.parse(blocks) : (blocks ?? [])) as {
    elements?: { action_id?: string; value?: string }[];
  }[];
  return parsed.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTIONS.approve)?.value;
}

const requestForm = (targetId: string) => ({
  ...selectState(BLOCKS.target, ACTIONS.target, targetId),
  ...textState(BLOCKS.duration, ACTIONS.duration, '2h'),
  ...textState(BLOCKS.reason, ACTIONS.reason, 'Deploy hotfix 4.2.1 to staging'),
});

const homeOpened = (user: string) => ({
  type: 'event_callback',
  team_id: 'T0TEAM0001',
  api_app_id: 'A0APP00001',
  event: { type: 'app_home_opened', user, tab: 'home', channel: `D${user.slice(1)}` },
  event_id: `Ev${randomUUID().slice(0, 8)}`,
  event_time: Math.floor(Date.now() / 1000),
});

describe('Socket Mode, end to end through the local runner', () => {
  const web = new SlackStandIn();
  const socket = new SocketModeStandIn(web);
  let broker: LocalBroker;

  beforeAll(async () => {
    await web.start();
    web.defaultEmail = (userId) => `${userId.toLowerCase()}@example.com`;
    await socket.start();
    const config = readLocalConfig({
      PORT: '0',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      TABLE_PREFIX: `socket-${randomUUID().slice(0, 8)}-`,
      SLACK_SIGNING_SECRET: 'socket-mode-test-secret-0123',
      SLACK_APP_TOKEN: 'xapp-1-A0APP00001-test',
      SLACK_API_URL: socket.url,
      SWEEP_INTERVAL_SECONDS: '3600',
      LOCAL_QUIET: 'true',
    });
    broker = await startLocalBroker({ config });
  });

  afterAll(async () => {
    await broker?.stop();
    await socket.stop();
    await web.stop();
  });

  it('connects with the app-level token through the configured Web API URL', () => {
    expect(socket.appTokens).toEqual(['xapp-1-A0APP00001-test']);
    expect(socket.connections).toHaveLength(1);
  });

  it('plays /request-access → approve → grant over envelopes, each acknowledged in time', async () => {
    // Warm-up, not measured: a run's first request write warms DynamoDB Local's JVM (seconds
    // on a busy machine); the flow below must then meet Slack's 3-second deadline throughout.
    await socket.send(
      'interactive',
      viewSubmission('U0DEV00002', CALLBACKS.requestModal, requestForm('developers')),
      30_000,
    );
    web.reset();
    socket.acks.length = 0;

    const command = Object.fromEntries(
      new URLSearchParams(commandBody(COMMANDS.requestAccess, PEOPLE.requester)),
    );
    expect(await socket.send('slash_commands', command)).toEqual({});
    expect(web.callsOf('views.open')).toHaveLength(1);

    const submitted = await socket.send(
      'interactive',
      viewSubmission(PEOPLE.requester, CALLBACKS.requestModal, requestForm('developers')),
    );
    expect(JSON.stringify(submitted)).not.toContain('"errors"');
    const requestId = await waitFor('the approval post', () =>
      web
        .callsOf('chat.postMessage')
        .map((c) => approveButtonValue(c.args.blocks))
        .find(Boolean),
    );

    await socket.send(
      'interactive',
      blockAction(PEOPLE.lead, ACTIONS.approve, requestId, { channel: 'C0APPROVAL1', ts: '1' }),
    );
    const members = await waitFor('the grant', () => {
      const group = broker.sandbox?.state().groups['jit-developers'];
      return group && group.length > 0 ? group : undefined;
    });
    expect(members).toHaveLength(1);

    await socket.send('events_api', homeOpened(PEOPLE.requester));
    await waitFor('the Home tab', () => web.callsOf('views.publish').at(0));
    expect(new Set(socket.acks.map((a) => a.type))).toEqual(
      new Set(['slash_commands', 'interactive', 'events_api']),
    );
  });

  it('reconnects when Slack sends disconnect, and keeps answering', async () => {
    const before = socket.connections.length;
    socket.disconnect();
    await socket.waitForConnections(before + 1);
    expect(socket.appTokens).toHaveLength(before + 1);
    const publishes = web.callsOf('views.publish').length;
    await socket.send('events_api', homeOpened(PEOPLE.lead));
    await waitFor('the Home tab after reconnecting', () =>
      web.callsOf('views.publish').length > publishes ? true : undefined,
    );
  });
});
