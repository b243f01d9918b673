import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudTrailActivityLookup } from '../../shared/adapters/aws/cloudtrail-activity.js';
import { activityFromDetail, TokenBucket } from '../../shared/domain/activity.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { auditOf } from '../../shared/usecases/audit-events.js';
import {
  summariseGrantActivity,
  sweepGrantActivity,
  type ActivityDeps,
} from '../../shared/usecases/summarise-activity.js';
import { roleSessionOf } from '../../shared/targets/role/activity-session.js';
import { breakGlassOutage } from '../support/break-glass.js';
import { fakeWorld, staticPolicy } from '../support/fakes.js';
import { InMemoryAuditReader } from '../support/in-memory-audit-reader.js';

const cloudTrail = mockClient(CloudTrailClient);
afterEach(() => cloudTrail.reset());

/** One LookupEvents event as CloudTrail returns it (the full record in CloudTrailEvent). */
function trailEvent(
  at: string,
  source: string,
  name: string,
  extra: { readOnly?: boolean; errorCode?: string; sourceIdentity?: string } = {},
) {
  return {
    EventName: name,
    EventSource: source,
    EventTime: new Date(at),
    CloudTrailEvent: JSON.stringify({
      eventTime: at,
      eventSource: source,
      eventName: name,
      ...(extra.readOnly === undefined ? {} : { readOnly: extra.readOnly }),
      ...(extra.errorCode === undefined ? {} : { errorCode: extra.errorCode }),
      userIdentity: {
        type: 'AssumedRole',
        sessionContext: { sourceIdentity: extra.sourceIdentity ?? 'oncall1' },
      },
    }),
  };
}

/** A break-glass role grant of UONCALL1 on prod-role (ACTIVE from 09:00 for 1 h), and the deps. */
async function world(options: { perSecond?: number } = {}) {
  const w = fakeWorld();
  const glass = await breakGlassOutage(w.deps);
  const slept: number[] = [];
  const deps: ActivityDeps & { reader: InMemoryAuditReader } = {
    store: w.store,
    audit: w.audit,
    lookup: new CloudTrailActivityLookup(() => new CloudTrailClient({ region: 'eu-west-1' })),
    budget: new TokenBucket(options.perSecond ?? 2),
    clock: w.clock,
    sleep: async (ms) => {
      slept.push(ms);
      w.clock.advance(ms / 1000);
    },
    events: w.events,
    sessionOf: roleSessionOf(staticPolicy(w.policy)),
    regions: ['eu-west-1'],
    reader: new InMemoryAuditReader(() => w.audit.events),
  };
  return { ...w, grant: glass, deps, slept };
}

/** Ends the grant as the sweeper would (EXPIRED with its audit event). */
async function expire(w: Awaited<ReturnType<typeof world>>) {
  const approved = (await w.store.get(w.grant.id)) as AccessRequest;
  const activated = await w.store.transition(approved, {
    to: 'ACTIVE',
    at: w.clock.now(),
    audit: auditOf(approved, 'grant.activated', { at: w.clock.now(), actor: 'system:worker', to: 'ACTIVE' }),
  });
  if (!activated.ok) throw new Error('conflict');
  const current = activated.request;
  w.clock.set(current.endsAt as string);
  w.clock.advance(60);
  await w.store.transition(current, {
    to: 'EXPIRED',
    at: w.clock.now(),
    audit: auditOf(current, 'grant.expired', { at: w.clock.now(), actor: 'system:sweeper', to: 'EXPIRED' }),
  });
}

describe('what was done with a role grant', () => {
  it('builds the summary from CloudTrail pages, stores it as a bounded audit event and publishes it', async () => {
    const w = await world();
    await expire(w);
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({
        Events: [
          trailEvent('2026-11-27T09:05:00.000Z', 'signin.amazonaws.com', 'ConsoleLogin', { readOnly: false }),
          trailEvent('2026-11-27T09:06:00.000Z', 's3.amazonaws.com', 'ListBuckets', { readOnly: true }),
          trailEvent('2026-11-27T09:07:00.000Z', 's3.amazonaws.com', 'PutObject', { readOnly: false }),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Events: [
          trailEvent('2026-11-27T09:08:00.000Z', 'iam.amazonaws.com', 'DeleteRole', {
            readOnly: false,
            errorCode: 'AccessDenied',
          }),
          trailEvent('2026-11-27T09:09:00.000Z', 's3.amazonaws.com', 'GetObject', {
            errorCode: 'AccessDeniedException',
          }),
          // Another person's session under the same name: not theirs, left out.
          trailEvent('2026-11-27T09:10:00.000Z', 'ec2.amazonaws.com', 'RunInstances', {
            sourceIdentity: 'mallory',
          }),
        ],
      });

    const outcome = await summariseGrantActivity(w.deps, w.grant.id, {
      deadline: new Date(w.clock.now().getTime() + 10_000),
    });

    if (outcome.outcome !== 'summarised') throw new Error(outcome.outcome);
    const calls = cloudTrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      {
        LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: `oncall1@${w.grant.id}` }],
        StartTime: new Date(w.grant.startsAt as string),
        EndTime: new Date('2026-11-27T10:01:00.000Z'),
        MaxResults: 50,
      },
      expect.objectContaining({ NextToken: 'page-2' }),
    ]);
    expect(outcome.summary).toMatchObject({
      calls: 5,
      reads: 2,
      writes: 3,
      denied: 2,
      consoleSignIns: 1,
      byService: [
        ['s3', 3],
        ['iam', 1],
        ['signin', 1],
      ],
      truncated: false,
    });
    const event = w.audit.events.at(-1);
    expect(event?.type).toBe('grant.activity-summarised');
    expect(event?.detail).toMatchObject({ calls: 5, denied: 2, services: 's3:3,iam:1,signin:1' });
    expect(activityFromDetail(event?.detail)).toEqual(outcome.summary);
    expect(w.events.sent.at(-1)).toMatchObject({ kind: 'activity-summarised', summary: outcome.summary });
  });

  it('caps the pages per grant and says the counts are a lower bound', async () => {
    const w = await world({ perSecond: 100 });
    await expire(w);
    cloudTrail.on(LookupEventsCommand).resolves({
      Events: [trailEvent('2026-11-27T09:06:00.000Z', 's3.amazonaws.com', 'ListBuckets')],
      NextToken: 'more',
    });
    const outcome = await summariseGrantActivity(w.deps, w.grant.id, {
      deadline: new Date(w.clock.now().getTime() + 60_000),
      maxPages: 3,
    });
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(3);
    expect(outcome).toMatchObject({ outcome: 'summarised', summary: { calls: 3, truncated: true } });
  });

  it('skips grants without a role session and stores nothing', async () => {
    const w = await world();
    const noRole = await summariseGrantActivity({ ...w.deps, sessionOf: () => undefined }, w.grant.id, {
      deadline: w.clock.now(),
    });
    expect(noRole.outcome).toBe('skipped');
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(0);
  });
});

describe('the LookupEvents budget', () => {
  it('waits for the bucket (2 calls/s) within the run, and defers the rest to a later sweep, never dropping it', async () => {
    const w = await world();
    await expire(w);
    // Five pages for the grant: 2 at once, then one every 500 ms.
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [], NextToken: 'p2' })
      .resolvesOnce({ Events: [], NextToken: 'p3' })
      .resolvesOnce({ Events: [], NextToken: 'p4' })
      .resolvesOnce({ Events: [], NextToken: 'p5' })
      .resolves({ Events: [] });
    w.clock.advance(3600); // settled
    const sweepOptions = { lookbackDays: 2, settleSeconds: 900, maxPages: 20 };

    // A run that may wait 1 s: 2 pages at once + 2 after waits, the 5th would need 1.5 s.
    const first = await sweepGrantActivity(w.deps, {
      ...sweepOptions,
      deadline: new Date(w.clock.now().getTime() + 1000),
    });
    expect(first).toEqual({ summarised: [], deferred: [w.grant.id], skipped: [] });
    expect(w.slept).toEqual([500, 500]);
    expect(w.audit.types(w.grant.id)).not.toContain('grant.activity-summarised');

    // The next run finds it again (the trail is the queue) and finishes it.
    w.clock.advance(60);
    const second = await sweepGrantActivity(w.deps, {
      ...sweepOptions,
      deadline: new Date(w.clock.now().getTime() + 10_000),
    });
    expect(second).toEqual({ summarised: [w.grant.id], deferred: [], skipped: [] });
    // A third run has nothing left to do.
    w.clock.advance(60);
    const third = await sweepGrantActivity(w.deps, { ...sweepOptions, deadline: w.clock.now() });
    expect(third).toEqual({ summarised: [], deferred: [], skipped: [] });
  });

  it('leaves a grant that ended less than the settle time ago for a later sweep', async () => {
    const w = await world();
    await expire(w);
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });
    const run = await sweepGrantActivity(w.deps, {
      lookbackDays: 2,
      settleSeconds: 900,
      deadline: new Date(w.clock.now().getTime() + 10_000),
    });
    expect(run.summarised).toEqual([]);
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(0);
  });

  it('keeps one bucket per account and Region', () => {
    const bucket = new TokenBucket(2);
    expect([bucket.take('a/eu', 0), bucket.take('a/eu', 0), bucket.take('a/eu', 0)]).toEqual([0, 0, 500]);
    expect(bucket.take('b/eu', 0)).toBe(0);
    expect(bucket.take('a/eu', 500)).toBe(0);
  });
});
