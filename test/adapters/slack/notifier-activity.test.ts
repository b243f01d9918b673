import { afterAll, beforeAll, expect, it } from 'vitest';
import { SlackDirectory } from '../../../shared/adapters/slack/directory.js';
import { InMemorySlackMessageStore } from '../../../shared/adapters/slack/message-store.js';
import { SlackNotifier } from '../../../shared/adapters/slack/notifier.js';
import { summariseActivity } from '../../../shared/domain/activity.js';
import { fakeWorld } from '../../support/fakes.js';
import { grantRecord } from '../../support/fake-aws.js';
import { SlackStandIn, standInWebClient } from '../../support/slack.js';

const slack = new SlackStandIn();
beforeAll(() => slack.start());
afterAll(() => slack.stop());

it('posts a grant’s activity in its thread and shows it in the break-glass alert the reviewer sees', async () => {
  const world = fakeWorld();
  const client = standInWebClient(slack);
  const notifier = new SlackNotifier(
    client,
    world.deps.policy,
    new SlackDirectory(client, world.clock),
    new InMemorySlackMessageStore(),
  );
  const request = grantRecord({
    id: 'req-7',
    targetId: 'prod-role',
    status: 'EXPIRED',
    breakGlass: true,
    startsAt: '2026-11-27T09:00:00.000Z',
    endsAt: '2026-11-27T10:00:00.000Z',
  });
  await notifier.handle({ kind: 'break-glass', request });
  slack.reset();
  const summary = summariseActivity(
    [
      {
        eventSource: 'iam.amazonaws.com',
        eventName: 'DeleteRole',
        eventTime: '2026-11-27T09:10:00.000Z',
        errorCode: 'AccessDenied',
      },
    ],
    { from: '2026-11-27T09:00:00.000Z', to: '2026-11-27T10:00:00.000Z' },
  );
  await notifier.handle({ kind: 'activity-summarised', request, summary });
  const thread = slack.callsOf('chat.postMessage');
  expect(thread).toHaveLength(1);
  expect(thread[0]?.args).toMatchObject({ channel: 'CSEC1', thread_ts: expect.any(String) });
  expect(String(thread[0]?.args.text)).toContain('1 calls (0 reads, 1 writes), 1 denied');
  const update = slack.callsOf('chat.update');
  expect(update).toHaveLength(1);
  expect(JSON.stringify(update[0]?.args.blocks)).toContain('What was done:');
});

it('keeps the activity on the break-glass review message when it is redrawn (reviewed, or ended after the summary)', async () => {
  const world = fakeWorld();
  const client = standInWebClient(slack);
  const summary = summariseActivity(
    [{ eventSource: 's3.amazonaws.com', eventName: 'PutObject', eventTime: '2026-11-27T09:10:00.000Z' }],
    { from: '2026-11-27T09:00:00.000Z', to: '2026-11-27T10:00:00.000Z' },
  );
  const notifier = new SlackNotifier(
    client,
    world.deps.policy,
    new SlackDirectory(client, world.clock),
    new InMemorySlackMessageStore(),
    undefined,
    async () => summary,
  );
  const request = grantRecord({
    id: 'req-8',
    targetId: 'prod-role',
    status: 'ACTIVE',
    breakGlass: true,
    startsAt: '2026-11-27T09:00:00.000Z',
    endsAt: '2026-11-27T10:00:00.000Z',
  });
  await notifier.handle({ kind: 'break-glass', request });
  slack.reset();
  await notifier.handle({ kind: 'grant-ended', request: { ...request, status: 'EXPIRED' } });
  await notifier.handle({
    kind: 'break-glass-reviewed',
    request: {
      ...request,
      status: 'EXPIRED',
      reviewedAt: '2026-11-27T11:00:00.000Z',
      reviewedBy: 'USEC1',
    },
  });
  const updates = slack.callsOf('chat.update').map((call) => JSON.stringify(call.args.blocks));
  expect(updates).toHaveLength(2);
  for (const blocks of updates) expect(blocks).toContain('What was done:* 1 calls (0 reads, 1 writes)');
});
