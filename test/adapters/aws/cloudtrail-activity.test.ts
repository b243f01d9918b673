import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCloudTrailClient, type AwsClientOptions } from '../../../shared/adapters/aws/clients.js';
import { CloudTrailActivityLookup } from '../../../shared/adapters/aws/cloudtrail-activity.js';
import { TokenBucket } from '../../../shared/domain/activity.js';
import type { AccessRequest } from '../../../shared/domain/request.js';
import { roleSessionOf } from '../../../shared/targets/role/activity-session.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import {
  summariseGrantActivity,
  sweepGrantActivity,
  type ActivityDeps,
} from '../../../shared/usecases/summarise-activity.js';
import {
  LOOKUP_EVENTS_TARGET,
  startCloudTrailStandIn,
  type CloudTrailStandIn,
} from '../../support/cloudtrail-stand-in.js';
import { breakGlassOutage } from '../../support/break-glass.js';
import { fakeWorld, staticPolicy } from '../../support/fakes.js';
import { InMemoryAuditReader } from '../../support/in-memory-audit-reader.js';

let standIn: CloudTrailStandIn;
const saved = { ...process.env };
beforeAll(async () => {
  standIn = await startCloudTrailStandIn();
  // The client is built with no endpoint: the SDK's own variable points it at the stand-in.
  process.env = { ...saved, ...standIn.env };
});
afterEach(() => {
  standIn.events.length = 0;
  standIn.requests.length = 0;
  standIn.faults.length = 0;
  standIn.pageSize = 50;
});
afterAll(async () => {
  process.env = saved;
  await standIn.close();
});

/** Small deadlines and attempts, so faults show in a test's time. */
const FAST: AwsClientOptions = {
  region: 'eu-west-1',
  maxAttempts: 3,
  deadlines: { connectMs: 500, attemptMs: 400, callMs: 5_000 },
};

/**
 * A break-glass grant of oncall1 on prod-role, ACTIVE from its start for 1 h then EXPIRED a
 * minute after its end, and the activity ports over the real CloudTrail adapter and client.
 */
async function endedGrant(client: AwsClientOptions = FAST) {
  const w = fakeWorld();
  const glass = await breakGlassOutage(w.deps);
  const approved = (await w.store.get(glass.id)) as AccessRequest;
  const activated = await w.store.transition(approved, {
    to: 'ACTIVE',
    at: w.clock.now(),
    audit: auditOf(approved, 'grant.activated', { at: w.clock.now(), actor: 'system:worker', to: 'ACTIVE' }),
  });
  if (!activated.ok) throw new Error('conflict');
  const active = activated.request;
  w.clock.set(active.endsAt as string);
  w.clock.advance(60);
  const ended = await w.store.transition(active, {
    to: 'EXPIRED',
    at: w.clock.now(),
    audit: auditOf(active, 'grant.expired', { at: w.clock.now(), actor: 'system:sweeper', to: 'EXPIRED' }),
  });
  if (!ended.ok) throw new Error('conflict');
  w.clock.advance(3600); // CloudTrail settled
  const cloudTrail = createCloudTrailClient(client);
  const deps: ActivityDeps & { reader: InMemoryAuditReader } = {
    store: w.store,
    audit: w.audit,
    lookup: new CloudTrailActivityLookup(() => cloudTrail),
    budget: new TokenBucket(2),
    clock: w.clock,
    sleep: async (ms) => w.clock.advance(ms / 1000),
    events: w.events,
    sessionOf: roleSessionOf(staticPolicy(w.policy)),
    regions: ['eu-west-1'],
    reader: new InMemoryAuditReader(() => w.audit.events),
  };
  const grant = ended.request;
  const session = `oncall1@${grant.id}`;
  const summaries = () =>
    w.audit.events.filter((e) => e.type === 'grant.activity-summarised' && e.requestId === grant.id);
  const deadline = () => new Date(w.clock.now().getTime() + 10_000);
  return { ...w, deps, grant, session, summaries, deadline };
}

/** `n` events of the session, a minute apart from 5 minutes into the grant. */
function sessionEvents(session: string, startsAt: string, n: number, source = 's3.amazonaws.com') {
  return Array.from({ length: n }, (_, i) => ({
    username: session,
    eventTime: new Date(Date.parse(startsAt) + (5 + i) * 60_000).toISOString(),
    eventSource: source,
    eventName: i % 2 === 0 ? 'GetObject' : 'PutObject',
    readOnly: i % 2 === 0,
    sourceIdentity: 'oncall1',
  }));
}

describe('the CloudTrail activity adapter against a CloudTrail stand-in (AWS_ENDPOINT_URL_CLOUDTRAIL)', () => {
  it('asks LookupEvents for the session’s user name within the grant window, follows NextToken, and summarises every page', async () => {
    const w = await endedGrant();
    const startsAt = w.grant.startsAt as string;
    standIn.pageSize = 2;
    standIn.events.push(
      ...sessionEvents(w.session, startsAt, 5),
      // Another person's session under the same name: CloudTrail returns it, the summary leaves it out.
      { ...sessionEvents(w.session, startsAt, 1, 'ec2.amazonaws.com')[0]!, sourceIdentity: 'mallory' },
      // Another session, and a call after the window: never returned.
      ...sessionEvents('someone@else', startsAt, 2),
      { ...sessionEvents(w.session, startsAt, 1)[0]!, eventTime: '2030-01-01T00:00:00.000Z' },
    );

    const outcome = await summariseGrantActivity(w.deps, w.grant.id, { deadline: w.deadline() });

    if (outcome.outcome !== 'summarised') throw new Error(outcome.outcome);
    // 6 matching events, 2 a page: three pages, each asked exactly this way.
    const window = {
      StartTime: Date.parse(startsAt) / 1000,
      EndTime: Date.parse(w.grant.updatedAt) / 1000,
    };
    expect(standIn.requests.map((r) => [r.target, r.contentType])).toEqual(
      Array(3).fill([LOOKUP_EVENTS_TARGET, 'application/x-amz-json-1.1']),
    );
    expect(standIn.requests.map((r) => r.body)).toEqual([
      {
        LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: w.session }],
        ...window,
        MaxResults: 50,
      },
      {
        LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: w.session }],
        ...window,
        MaxResults: 50,
        NextToken: 'page-2',
      },
      {
        LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: w.session }],
        ...window,
        MaxResults: 50,
        NextToken: 'page-4',
      },
    ]);
    expect(outcome.summary).toMatchObject({ calls: 5, reads: 3, writes: 2, byService: [['s3', 5]] });
    expect(w.summaries()).toHaveLength(1);
  });

  it('backs off on ThrottlingException within the call’s deadline, then succeeds', async () => {
    const w = await endedGrant();
    standIn.events.push(...sessionEvents(w.session, w.grant.startsAt as string, 1));
    standIn.faults.push('throttle', 'throttle');

    const outcome = await summariseGrantActivity(w.deps, w.grant.id, { deadline: w.deadline() });

    expect(outcome).toMatchObject({ outcome: 'summarised', summary: { calls: 1 } });
    expect(standIn.requests.map((r) => r.fault ?? 'ok')).toEqual(['throttle', 'throttle', 'ok']);
    // The retries are the SDK's, inside one lookup: the run's budget was taken once.
    expect(new Set(standIn.requests.map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  it('gives up on a 5xx after the bounded attempts: the run reports the failure, stores nothing, and the grant stays due', async () => {
    const w = await endedGrant();
    standIn.events.push(...sessionEvents(w.session, w.grant.startsAt as string, 2));
    standIn.faults.push('server-error', 'server-error', 'server-error', 'server-error');
    const sweep = { lookbackDays: 2, settleSeconds: 900 };

    const failing = await sweepGrantActivity(w.deps, { ...sweep, deadline: w.deadline() });

    expect(failing.failed).toMatchObject({ requestId: w.grant.id });
    expect(failing.summarised).toEqual([]);
    // maxAttempts (3) and no more.
    expect(standIn.requests.map((r) => r.fault)).toEqual(['server-error', 'server-error', 'server-error']);
    expect(w.summaries()).toHaveLength(0);

    // CloudTrail recovers (one 5xx left, retried by the SDK): the next run summarises it.
    const next = await sweepGrantActivity(w.deps, { ...sweep, deadline: w.deadline() });
    expect(next).toMatchObject({ summarised: [w.grant.id], deferred: [] });
    expect(next.failed).toBeUndefined();
    expect(w.summaries()).toHaveLength(1);
  });

  it('throws when CloudTrail never answers (the deadline throws), and stores nothing', async () => {
    const w = await endedGrant({
      region: 'eu-west-1',
      maxAttempts: 2,
      deadlines: { connectMs: 500, attemptMs: 300, callMs: 800 },
    });
    standIn.faults.push('hang', 'hang', 'hang');

    const lookup = summariseGrantActivity(w.deps, w.grant.id, { deadline: w.deadline() });

    await expect(lookup).rejects.toMatchObject({
      name: expect.stringMatching(/^(TimeoutError|AbortError)$/),
    });
    expect(standIn.requests.length).toBeGreaterThanOrEqual(1);
    expect(standIn.requests.every((r) => r.fault === 'hang')).toBe(true);
    expect(w.summaries()).toHaveLength(0);
  });
});
