import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { CloudTrailActivityLookup } from '../../shared/adapters/aws/cloudtrail-activity.js';
import { SandboxCloudTrail } from '../../shared/adapters/sandbox/sandbox-cloudtrail.js';
import { TokenBucket } from '../../shared/domain/activity.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { permissionSetSessionsOf } from '../../shared/targets/permission-set/activity-session.js';
import { summariseGrantActivity, type ActivityDeps } from '../../shared/usecases/summarise-activity.js';
import { fakeWorld, staticPolicy, TEST_POLICY_YAML } from '../support/fakes.js';

const INSTANCE = 'arn:aws:sso:::instance/ssoins-1111222233334444';
const PROD = '111111111111';
const STAGING = '222222222222';
const POLICY = `${TEST_POLICY_YAML}  - { id: ps-admin, kind: permission-set, instanceArn: "${INSTANCE}", identityStoreId: d-1234567890, permissionSet: AdminAccess, accounts: ["${PROD}", "${STAGING}"], description: Admin, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h }
`;
const FROM = '2026-11-27T09:00:00.000Z';
const TO = '2026-11-27T10:00:00.000Z';

/** An ended permission-set grant in `account` (the grants of one request over two accounts). */
function grant(id: string, account: string): AccessRequest {
  return {
    id,
    targetId: 'ps-admin',
    requester: 'UDEV1',
    principal: 'dev1@example.com',
    status: 'EXPIRED',
    account,
    requestGroup: 'r1',
    createdAt: '2026-11-27T08:50:00.000Z',
    updatedAt: TO,
    startsAt: FROM,
    endsAt: TO,
  } as AccessRequest;
}

/** A call of dev1's Identity Center session in `account` through permission set `set`. */
function call(trail: SandboxCloudTrail, account: string, set: string, at: string, eventName: string) {
  trail.record({
    account,
    sessionName: 'dev1@example.com',
    roleName: `AWSReservedSSO_${set}_0123456789abcdef`,
    eventSource: 's3.amazonaws.com',
    eventName,
    at: new Date(at),
  });
}

function world() {
  const w = fakeWorld(POLICY);
  w.store.items.set('r1', grant('r1', PROD));
  w.store.items.set(`r1-${STAGING}`, grant(`r1-${STAGING}`, STAGING));
  w.clock.set('2026-11-27T10:30:00.000Z');
  const trail = new SandboxCloudTrail();
  const deps: ActivityDeps = {
    store: w.store,
    audit: w.audit,
    lookup: trail,
    budget: new TokenBucket(2),
    clock: w.clock,
    sleep: async (ms) => void w.clock.advance(ms / 1000),
    events: w.events,
    sessionOf: permissionSetSessionsOf(staticPolicy(w.policy)),
    regions: ['eu-west-1'],
  };
  return { w, trail, deps };
}

describe('what was done with a permission-set grant', () => {
  it('summarises each account of a two-account request from its own trail, leaving out the other permission sets of the same user', async () => {
    const { w, trail, deps } = world();
    call(trail, PROD, 'AdminAccess', '2026-11-27T09:05:00.000Z', 'ListBuckets');
    call(trail, PROD, 'AdminAccess', '2026-11-27T09:06:00.000Z', 'PutObject');
    call(trail, STAGING, 'AdminAccess', '2026-11-27T09:07:00.000Z', 'DeleteBucket');
    // The same user's session of another permission set, in both accounts: not this grant's.
    call(trail, PROD, 'ReadOnly', '2026-11-27T09:08:00.000Z', 'GetObject');
    call(trail, STAGING, 'ReadOnly', '2026-11-27T09:09:00.000Z', 'GetObject');
    // A permission set whose name merely starts like this one's.
    call(trail, PROD, 'AdminAccessExtra', '2026-11-27T09:10:00.000Z', 'GetObject');
    const deadline = new Date(w.clock.now().getTime() + 10_000);

    const prod = await summariseGrantActivity(deps, 'r1', { deadline });
    const staging = await summariseGrantActivity(deps, `r1-${STAGING}`, { deadline });

    if (prod.outcome !== 'summarised' || staging.outcome !== 'summarised') throw new Error('not summarised');
    expect(prod.summary).toMatchObject({ calls: 2, reads: 1, writes: 1, byAccount: [[PROD, 2]] });
    expect(staging.summary).toMatchObject({ calls: 1, writes: 1, byAccount: [[STAGING, 1]] });
    expect(prod.event.detail).toMatchObject({ calls: 2, accounts: `${PROD}:2` });
    expect(w.events.kinds().filter((k) => k === 'activity-summarised')).toHaveLength(2);
  });

  it('covers every account of a grant in one summary, with bounded per-account counts', async () => {
    const { w, trail, deps } = world();
    call(trail, PROD, 'AdminAccess', '2026-11-27T09:05:00.000Z', 'ListBuckets');
    call(trail, STAGING, 'AdminAccess', '2026-11-27T09:06:00.000Z', 'PutObject');
    call(trail, STAGING, 'AdminAccess', '2026-11-27T09:07:00.000Z', 'GetObject');
    call(trail, STAGING, 'ReadOnly', '2026-11-27T09:08:00.000Z', 'GetObject');
    const sessions = permissionSetSessionsOf(staticPolicy(w.policy));
    const both: ActivityDeps = {
      ...deps,
      sessionOf: async (request) => [
        ...((await sessions(request)) ?? []),
        ...((await sessions({ ...request, account: STAGING })) ?? []),
      ],
    };

    const outcome = await summariseGrantActivity(both, 'r1', {
      deadline: new Date(w.clock.now().getTime() + 10_000),
    });

    if (outcome.outcome !== 'summarised') throw new Error(outcome.outcome);
    expect(outcome.summary).toMatchObject({
      calls: 3,
      byAccount: [
        [STAGING, 2],
        [PROD, 1],
      ],
    });
    expect(outcome.event.detail).toMatchObject({ accounts: `${STAGING}:2,${PROD}:1` });
  });

  it('reads the role of an Identity Center session from the CloudTrail record (sessionIssuer)', async () => {
    const cloudTrail = mockClient(CloudTrailClient);
    cloudTrail.on(LookupEventsCommand).resolves({
      Events: [
        {
          EventName: 'ListBuckets',
          EventSource: 's3.amazonaws.com',
          EventTime: new Date('2026-11-27T09:05:00.000Z'),
          CloudTrailEvent: JSON.stringify({
            eventTime: '2026-11-27T09:05:00Z',
            eventSource: 's3.amazonaws.com',
            eventName: 'ListBuckets',
            readOnly: true,
            userIdentity: {
              type: 'AssumedRole',
              arn: `arn:aws:sts::${PROD}:assumed-role/AWSReservedSSO_AdminAccess_0123456789abcdef/dev1@example.com`,
              sessionContext: {
                sessionIssuer: { type: 'Role', userName: 'AWSReservedSSO_AdminAccess_0123456789abcdef' },
              },
            },
          }),
        },
      ],
    });
    try {
      const page = await new CloudTrailActivityLookup(
        () => new CloudTrailClient({ region: 'eu-west-1' }),
      ).lookup({
        account: PROD,
        region: 'eu-west-1',
        username: 'dev1@example.com',
        from: new Date(FROM),
        to: new Date(TO),
      });
      expect(page.records).toEqual([
        expect.objectContaining({ roleName: 'AWSReservedSSO_AdminAccess_0123456789abcdef', readOnly: true }),
      ]);
    } finally {
      cloudTrail.restore();
    }
  });
});
