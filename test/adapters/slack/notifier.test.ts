import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackCredentialsDelivery } from '../../../shared/adapters/slack/credentials-delivery.js';
import { replyToSlackView } from '../../../shared/adapters/slack/reply-to.js';
import { SlackDirectory } from '../../../shared/adapters/slack/directory.js';
import { InMemorySlackMessageStore } from '../../../shared/adapters/slack/message-store.js';
import { SlackNotifier } from '../../../shared/adapters/slack/notifier.js';
import { createEventBus } from '../../../functions/wiring/event-wiring.js';
import { followUpPendingRequests } from '../../../shared/usecases/follow-up-pending.js';
import { submitRequest } from '../../../shared/usecases/submit-request.js';
import { fakeWorld, person, silentLogger, TEST_POLICY_YAML, type FakeWorld } from '../../support/fakes.js';
import { SlackStandIn, standInWebClient } from '../../support/slack.js';
import { grantRecord } from '../../support/fake-aws.js';
import type { AccessRequest } from '../../../shared/domain/request.js';

const slack = new SlackStandIn();
let world: FakeWorld;

beforeAll(async () => {
  await slack.start();
});
afterAll(async () => {
  await slack.stop();
});

beforeEach(() => {
  slack.reset();
  world = fakeWorld();
  const client = standInWebClient(slack);
  const notifier = new SlackNotifier(
    client,
    world.deps.policy,
    new SlackDirectory(client, world.clock),
    new InMemorySlackMessageStore(),
  );
  world = { ...world, deps: { ...world.deps, events: createEventBus(silentLogger, [notifier]) } };
});

describe('SlackNotifier when a grant ends', () => {
  const ended = (fields: Partial<AccessRequest>) =>
    grantRecord({
      id: 'req-9',
      status: 'REVOKED',
      startsAt: '2026-11-27T09:00:00.000Z',
      endsAt: '2026-11-27T10:00:00.000Z',
      ...fields,
    });

  it('tells the holder who revoked it and why, when someone else did', async () => {
    await world.deps.events.publish({
      kind: 'grant-ended',
      request: ended({ decidedBy: 'USEC1', decisionReason: 'laptop <stolen>' }),
    });
    expect(slack.callsOf('chat.postMessage').map((c) => [c.args.channel, c.args.text])).toEqual([
      ['UDEV1', ':lock: Your *dev-group* access was revoked by <@USEC1>: laptop &lt;stolen&gt;'],
    ]);
  });

  it('says only that it ended when the holder released it', async () => {
    await world.deps.events.publish({
      kind: 'grant-ended',
      request: ended({ decidedBy: 'UDEV1', decisionReason: 'released by the requester' }),
    });
    expect(String(slack.callsOf('chat.postMessage')[0]?.args.text)).toBe(
      ':lock: Your *dev-group* access has ended (revoked).',
    );
  });
});

describe('SlackNotifier with the pending follow-up (the sweeper)', () => {
  it('re-notifies the approvers once, then times out and tells the requester; nothing is deleted', async () => {
    // TEST_POLICY_YAML: dev-group has no approval channel, so its approvers get DMs.
    await submitRequest(world.deps, {
      requester: person('UDEV1'),
      principal: 'dev1',
      targetId: 'dev-group',
      reason: 'logs',
    });
    expect(slack.callsOf('chat.postMessage').map((c) => c.args.channel)).toEqual([
      'ULEAD1',
      'ULEAD2',
      'ULEAD3',
    ]);

    slack.reset();
    world.clock.advance(3600);
    expect(await followUpPendingRequests(world.deps)).toEqual({ renotified: 1, timedOut: 0, escalated: 0 });
    const reminders = slack.callsOf('chat.postMessage');
    expect(reminders).toHaveLength(3);
    expect(String(reminders[0]?.args.text)).toMatch(/^Reminder/);
    world.clock.advance(60);
    expect(await followUpPendingRequests(world.deps)).toEqual({ renotified: 0, timedOut: 0, escalated: 0 });

    slack.reset();
    world.clock.advance(3 * 3600);
    expect(await followUpPendingRequests(world.deps)).toEqual({ renotified: 0, timedOut: 1, escalated: 0 });
    const stored = await world.store.get('req-0001');
    expect(stored?.status).toBe('TIMED_OUT');
    // Every post (three first asks, three reminders) is updated in place to say so.
    const updates = slack.callsOf('chat.update');
    expect(updates).toHaveLength(6);
    expect(JSON.stringify(updates[0]?.args.blocks)).toContain('Timed out');
    const dm = slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'UDEV1');
    expect(String(dm?.args.text)).toMatch(/timed out/);
  });

  it('does not ask the requester to approve their own request, and expands user groups', async () => {
    const yaml = TEST_POLICY_YAML.replace(
      'leads: { users: [ULEAD1, ULEAD2, ULEAD3] }',
      'leads: { users: [ULEAD1, ULEAD2], userGroups: [SLEADS9] }',
    ).replace('requesters: [devs], approvers: [leads]', 'requesters: [devs, leads], approvers: [leads]');
    const w = fakeWorld(yaml);
    slack.userGroups.set('SLEADS9', ['ULEAD7', 'ULEAD1']);
    const client = standInWebClient(slack);
    const messages = new InMemorySlackMessageStore();
    const notifier = new SlackNotifier(client, w.deps.policy, new SlackDirectory(client, w.clock), messages);
    const deps = { ...w.deps, events: createEventBus(silentLogger, [notifier]) };
    await submitRequest(deps, {
      requester: person('ULEAD1'),
      principal: 'lead1',
      targetId: 'dev-group',
      reason: 'x',
    });
    expect(slack.callsOf('chat.postMessage').map((c) => c.args.channel)).toEqual(['ULEAD2', 'ULEAD7']);
    expect((await messages.list('req-0001')).map((m) => m.channel)).toEqual(['DLEAD2', 'DLEAD7']);
  });
});

describe('SlackCredentialsDelivery', () => {
  it('fills the open modal with a console link and CLI lines, and only that modal', async () => {
    const client = standInWebClient(slack);
    const delivery = new SlackCredentialsDelivery(client);
    const job = {
      kind: 'issue-credentials' as const,
      requestId: 'g1',
      requester: 'UDEV1',
      replyTo: replyToSlackView('V0MODAL1'),
    };
    const grant = { id: 'g1', targetId: 'prod-role' } as never;
    await delivery.deliver(job, grant, {
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret/key',
      sessionToken: 'token+123',
      expiration: new Date('2026-11-27T10:00:00.000Z'),
      consoleUrl: 'https://signin.aws.amazon.com/federation?Action=login',
    });
    await delivery.deliverFailure(job, 'The role refused <b>');
    expect(slack.calls.map((c) => [c.method, c.args.view_id])).toEqual([
      ['views.update', 'V0MODAL1'],
      ['views.update', 'V0MODAL1'],
    ]);
    const filled = JSON.stringify(slack.calls[0]?.args.view);
    expect(filled).toContain('export AWS_ACCESS_KEY_ID=ASIAEXAMPLE');
    expect(filled).toContain('export AWS_SECRET_ACCESS_KEY=secret/key');
    expect(filled).toContain('export AWS_SESSION_TOKEN=token+123');
    expect(filled).toContain('https://signin.aws.amazon.com/federation?Action=login');
    expect(JSON.stringify(slack.calls[1]?.args.view)).toContain('The role refused &lt;b&gt;');
    expect(slack.callsOf('chat.postMessage')).toEqual([]);
  });
});

describe('SlackCredentialsDelivery without a console link', () => {
  it('delivers the CLI lines and says the console link is unavailable, with no button', async () => {
    const client = standInWebClient(slack);
    const delivery = new SlackCredentialsDelivery(client);
    const job = {
      kind: 'issue-credentials' as const,
      requestId: 'g1',
      requester: 'UDEV1',
      replyTo: replyToSlackView('V0MODAL2'),
    };
    await delivery.deliver(job, { id: 'g1', targetId: 'prod-role' } as never, {
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret/key',
      sessionToken: 'token+123',
      expiration: new Date('2026-11-27T10:00:00.000Z'),
      consoleLinkError: 'the sign-in service did not answer.',
    });
    const filled = JSON.stringify(slack.calls.at(-1)?.args.view);
    expect(filled).toContain('export AWS_ACCESS_KEY_ID=ASIAEXAMPLE');
    expect(filled).toContain('Console link unavailable: the sign-in service did not answer.');
    expect(filled).not.toContain('jit_open_console');
  });
});
