import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSweeperHandler, type SweeperActivity } from '../../../functions/sweeper/handler.js';
import { CloudTrailActivityLookup } from '../../../shared/adapters/aws/cloudtrail-activity.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { SlackDirectory } from '../../../shared/adapters/slack/directory.js';
import { InMemorySlackMessageStore } from '../../../shared/adapters/slack/message-store.js';
import { SlackNotifier } from '../../../shared/adapters/slack/notifier.js';
import { TokenBucket } from '../../../shared/domain/activity.js';
import { roleSessionOf } from '../../../shared/targets/role/activity-session.js';
import { fakeWorld, ManualClock } from '../../support/fakes.js';
import { grantRecord, grantWorld, storeGrants } from '../../support/fake-aws.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import { SlackStandIn, standInWebClient } from '../../support/slack.js';

const db = useLocalTables();
const cloudTrail = mockClient(CloudTrailClient);
afterEach(() => cloudTrail.reset());
const slack = new SlackStandIn();
beforeAll(() => slack.start());
afterAll(() => slack.stop());

const START = '2026-11-27T09:00:00.000Z';
const END = '2026-11-27T10:00:00.000Z';
const logger = { info: () => undefined, error: () => undefined };
const SETTLE_SECONDS = 900;

/** One LookupEvents event of alice's session. */
function trailEvent(at: string, name: string, readOnly: boolean) {
  return {
    EventName: name,
    EventSource: 's3.amazonaws.com',
    EventTime: new Date(at),
    CloudTrailEvent: JSON.stringify({
      eventTime: at,
      eventSource: 's3.amazonaws.com',
      eventName: name,
      readOnly,
      userIdentity: { type: 'AssumedRole', sessionContext: { sourceIdentity: 'alice' } },
    }),
  };
}

/**
 * Role grants on DynamoDB Local ending at END, a sweeper with the activity step over the real
 * CloudTrail adapter (mocked client), the audit reader's by-day index and the Slack notifier
 * (stand-in Web API) that posts in the grant's thread.
 */
async function world(ids: readonly string[], options: { perSecond?: number; budgetMs?: number } = {}) {
  const clock = new ManualClock(START);
  const w = grantWorld({ store: db().requests, audit: db().audit, clock, repairs: 'queue' });
  await storeGrants(
    w,
    ids.map((id) =>
      grantRecord({ id, status: 'ACTIVE', targetId: 'prod-role', startsAt: START, endsAt: END }),
    ),
  );
  const web = standInWebClient(slack);
  const messages = new InMemorySlackMessageStore();
  for (const [i, id] of ids.entries())
    await messages.add(id, [{ channel: 'CAPPROVALS', ts: `170000000${i}.0001` }]);
  const notifier = new SlackNotifier(web, w.deps.policy, new SlackDirectory(web, clock), messages);
  const activity: SweeperActivity = {
    deps: {
      store: db().requests,
      audit: db().audit,
      reader: new DynamoAuditQuery(db().doc, db().names.audit),
      lookup: new CloudTrailActivityLookup(() => new CloudTrailClient({ region: 'eu-west-1' })),
      budget: new TokenBucket(options.perSecond ?? 2),
      clock,
      sleep: async (ms) => clock.advance(ms / 1000),
      events: { publish: (event) => notifier.handle(event) },
      sessionOf: roleSessionOf(w.deps.policy),
      regions: ['eu-west-1'],
    },
    options: { lookbackDays: 1, settleSeconds: SETTLE_SECONDS },
    share: 1,
    budgetMs: options.budgetMs ?? 10_000,
  };
  const requestDeps = { ...fakeWorld().deps, store: db().requests, audit: db().audit, clock };
  const sweep = createSweeperHandler({ deps: w.deps, requestDeps, concurrency: 2, logger, activity });
  const summaries = async (id: string) => {
    const found = [];
    for await (const event of activity.deps.reader.stream({ requestId: id }, clock.now()))
      if (event.type === 'grant.activity-summarised') found.push(event);
    return found;
  };
  return { ...w, sweep: () => sweep({}), summaries };
}

describe('the sweeper summarises what was done with ended role grants (DynamoDB Local)', () => {
  it('stores exactly one summary per grant once CloudTrail settled, and posts it in the grant’s thread', async () => {
    const w = await world(['r-1']);
    cloudTrail.on(LookupEventsCommand).resolves({
      Events: [
        trailEvent('2026-11-27T09:10:00.000Z', 'ListBuckets', true),
        trailEvent('2026-11-27T09:11:00.000Z', 'PutObject', false),
      ],
    });

    w.clock.set('2026-11-27T10:01:00.000Z');
    const ended = await w.sweep();
    expect(ended.sweep).toMatchObject({ ended: 1 });
    // CloudTrail delivers within ~15 minutes: not looked up yet.
    expect(ended.activity).toEqual({ summarised: 0, deferred: 0, skipped: 0, failed: 0 });
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(0);

    w.clock.advance(SETTLE_SECONDS);
    slack.reset();
    const settled = await w.sweep();
    expect(settled.activity).toEqual({ summarised: 1, deferred: 0, skipped: 0, failed: 0 });
    const [summary] = await w.summaries('r-1');
    expect(summary?.detail).toMatchObject({ calls: 2, reads: 1, writes: 1, services: 's3:2' });
    const thread = slack.callsOf('chat.postMessage');
    expect(thread).toHaveLength(1);
    expect(thread[0]?.args).toMatchObject({ channel: 'CAPPROVALS', thread_ts: '1700000000.0001' });
    expect(String(thread[0]?.args.text)).toContain('2 calls (1 reads, 1 writes)');

    // Re-running the sweep does not look up or store it again.
    w.clock.advance(60);
    const again = await w.sweep();
    expect(again.activity).toEqual({ summarised: 0, deferred: 0, skipped: 0, failed: 0 });
    expect(await w.summaries('r-1')).toHaveLength(1);
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });

  it('defers what does not fit in the run’s budget to the next run, and counts it in the result', async () => {
    // Two grants, two pages each; a bucket of 1 call/s and a run that may wait 1 s: three calls fit.
    const w = await world(['r-1', 'r-2'], { perSecond: 1, budgetMs: 1000 });
    cloudTrail
      .on(LookupEventsCommand)
      .callsFake((input: { NextToken?: string }) =>
        input.NextToken ? { Events: [] } : { Events: [], NextToken: 'page-2' },
      );
    w.clock.set('2026-11-27T10:01:00.000Z');
    await w.sweep();
    w.clock.advance(SETTLE_SECONDS);

    const first = await w.sweep();
    expect(first.activity).toEqual({ summarised: 1, deferred: 1, skipped: 0, failed: 0 });
    const summarisedFirst = (await w.summaries('r-1')).length + (await w.summaries('r-2')).length;
    expect(summarisedFirst).toBe(1);

    w.clock.advance(60);
    const second = await w.sweep();
    expect(second.activity).toEqual({ summarised: 1, deferred: 0, skipped: 0, failed: 0 });
    expect(await w.summaries('r-1')).toHaveLength(1);
    expect(await w.summaries('r-2')).toHaveLength(1);
  });

  it('leaves a grant due when CloudTrail fails, and the sweep itself still reports', async () => {
    const w = await world(['r-1']);
    cloudTrail
      .on(LookupEventsCommand)
      .rejects(Object.assign(new Error('internal'), { name: 'InternalFailure' }));
    w.clock.set('2026-11-27T10:01:00.000Z');
    await w.sweep();
    w.clock.advance(SETTLE_SECONDS);
    const failing = await w.sweep();
    expect(failing.activity).toEqual({ summarised: 0, deferred: 0, skipped: 0, failed: 1 });
    expect(await w.summaries('r-1')).toHaveLength(0);

    cloudTrail.reset();
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });
    w.clock.advance(60);
    expect((await w.sweep()).activity).toMatchObject({ summarised: 1 });
  });
});
