import {
  AddUserToGroupCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { revokeSid } from '../../shared/domain/session-policies.js';
import { endGrant, revokeGrantJob } from '../../shared/usecases/revoke-grant.js';
import type { InMemoryAuditLog } from '../support/fakes.js';
import {
  grantRecord,
  grantWorld,
  storeGrants,
  withRealAwsAdapters,
  type GrantWorld,
} from '../support/fake-aws.js';

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

const START = '2026-11-27T09:00:00.000Z';
const END = '2026-11-27T11:00:00.000Z';

async function seeded(...grants: Partial<Parameters<typeof grantRecord>[0]>[]) {
  return seedInto(grantWorld(), grants);
}

async function seedInto(world: GrantWorld, grants: Partial<Parameters<typeof grantRecord>[0]>[]) {
  await storeGrants(
    world,
    grants.map((fields, i) =>
      grantRecord({ id: `req-${i + 1}`, status: 'ACTIVE', startsAt: START, endsAt: END, ...fields }),
    ),
  );
  world.clock.set('2026-11-27T09:30:00.000Z');
  return world;
}

describe('release and admin revoke', () => {
  it('release of a group grant: RemoveUserFromGroup, REVOKED with grant.released, then RemoveUserFromGroup again to seal it', async () => {
    const w = await withRealAwsAdapters(await seeded({}));
    iam.on(RemoveUserFromGroupCommand).resolves({ $metadata: { requestId: 'aws-rm-1' } });
    const result = await revokeGrantJob(w.deps, {
      requestId: 'req-1',
      actor: 'UDEV1',
      reason: 'done',
      attempt: 1,
      maxAttempts: 5,
    });
    expect(result.outcome).toBe('ended');
    // The second removal runs after the REVOKED write: a restore racing the revoke cannot leave a member.
    expect(iam.calls().map((c) => [c.args[0].constructor.name, c.args[0].input])).toEqual([
      ['RemoveUserFromGroupCommand', { GroupName: 'jit-developers', UserName: 'alice' }],
      ['RemoveUserFromGroupCommand', { GroupName: 'jit-developers', UserName: 'alice' }],
    ]);
    const stored = await w.store.get('req-1');
    expect(stored).toMatchObject({ status: 'REVOKED', decidedBy: 'UDEV1', decisionReason: 'done' });
    expect((w.audit as InMemoryAuditLog).events.at(-1)).toMatchObject({
      type: 'grant.released',
      toStatus: 'REVOKED',
      awsRequestId: 'aws-rm-1',
    });
    expect(w.notifier.kinds()).toEqual(['grant-ended']);
  });

  it('a restore that lands between the removal and the REVOKED write does not outlive the grant', async () => {
    const w = await seeded({});
    w.groups.put('jit-developers', 'alice');
    const remove = w.groups.remove.bind(w.groups);
    let raced = false;
    w.groups.remove = async (group, user) => {
      const result = await remove(group, user);
      if (!raced) {
        raced = true;
        await w.groups.add(group, user); // a restore-membership job that read the grant as ACTIVE
      }
      return result;
    };
    const result = await endGrant(w.deps, {
      requestId: 'req-1',
      kind: 'release',
      actor: 'UDEV1',
      reason: 'done',
    });
    expect(result.outcome).toBe('ended');
    expect(raced).toBe(true);
    expect(w.groups.members('jit-developers')).toEqual([]);
  });

  it('admin revoke of a role grant: writes the deny on the role, REVOKED with grant.revoked, then seals it', async () => {
    const w = await withRealAwsAdapters(await seeded({ targetId: 'prod-role', targetKind: 'role' }));
    let stored: string | undefined;
    iam.on(GetRolePolicyCommand).callsFake(() => {
      if (!stored) throw new NoSuchEntityException({ message: 'none', $metadata: {} });
      return {
        PolicyDocument: encodeURIComponent(stored),
        RoleName: 'Prod',
        PolicyName: 'jit-revoke-sessions',
      };
    });
    iam.on(PutRolePolicyCommand).callsFake((input: { PolicyDocument: string }) => {
      stored = input.PolicyDocument;
      return { $metadata: { requestId: 'aws-put-1' } };
    });
    const result = await revokeGrantJob(w.deps, {
      requestId: 'req-1',
      actor: 'USEC1',
      reason: 'suspicious',
      attempt: 1,
      maxAttempts: 5,
    });
    expect(result.outcome).toBe('ended');
    const puts = iam.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input);
    expect(puts.length).toBeGreaterThanOrEqual(1);
    expect(puts[0]?.RoleName).toBe('Prod');
    expect(puts[0]?.PolicyName).toBe('jit-revoke-sessions');
    expect(JSON.parse(puts[0]?.PolicyDocument ?? '')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: revokeSid('alice'),
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: {
            DateLessThan: { 'aws:TokenIssueTime': '2026-11-27T09:30:00Z' },
            StringEquals: { 'aws:SourceIdentity': 'alice' },
          },
        },
      ],
    });
    expect(iam.commandCalls(RemoveUserFromGroupCommand)).toHaveLength(0);
    expect((await w.store.get('req-1'))?.status).toBe('REVOKED');
    expect((w.audit as InMemoryAuditLog).events.at(-1)).toMatchObject({
      type: 'grant.revoked',
      actor: 'USEC1',
      awsRequestId: 'aws-put-1',
    });
  });

  it('a failing revoke keeps the grant live, is recorded and rethrown for a retry; the last attempt alerts', async () => {
    const w = await seeded({});
    w.groups.failNext('remove');
    const job = { requestId: 'req-1', actor: 'UDEV1', reason: 'done', attempt: 1, maxAttempts: 2 };
    await expect(revokeGrantJob(w.deps, job)).rejects.toThrow(/Throttling/);
    expect((await w.store.get('req-1'))?.status).toBe('ACTIVE');
    expect((w.audit as InMemoryAuditLog).types('req-1').at(-1)).toBe('grant.revoke-failed');
    expect(w.metrics.get('RevokeFailures')).toBe(1);
    expect(w.notifier.kinds()).toEqual([]);
    w.groups.failNext('remove');
    await expect(revokeGrantJob(w.deps, { ...job, attempt: 2 })).rejects.toThrow();
    expect(w.notifier.kinds()).toEqual(['revoke-failing']);
    await revokeGrantJob(w.deps, { ...job, attempt: 3 });
    expect((await w.store.get('req-1'))?.status).toBe('REVOKED');
  });
});

describe('overlapping group grants', () => {
  it.each([
    {
      description: 'keeps the membership while another live grant runs on',
      otherEnd: '2026-11-27T12:00:00.000Z',
      member: true,
    },
    {
      description: 'removes it when the other grant has also ended',
      otherEnd: '2026-11-27T09:20:00.000Z',
      member: false,
    },
  ])('ending one of two grants $description', async ({ otherEnd, member }) => {
    const w = await seeded({ endsAt: '2026-11-27T09:25:00.000Z' }, { endsAt: otherEnd });
    w.groups.put('jit-developers', 'alice');
    await endGrant(w.deps, { requestId: 'req-1', kind: 'expire', actor: 'system:sweeper', reason: 'ended' });
    expect((await w.store.get('req-1'))?.status).toBe('EXPIRED');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(member);
  });
});

describe('a grant that becomes live while the membership is being removed (the overlap race)', () => {
  /** A second grant of alice on dev-group, written while RemoveUserFromGroup runs. */
  async function createLateGrant(w: GrantWorld) {
    const late = grantRecord({
      id: 'req-9',
      status: 'ACTIVE',
      startsAt: START,
      endsAt: '2026-11-27T12:00:00.000Z',
    });
    await storeGrants(w, [late]);
  }
  const expire = (w: GrantWorld) =>
    endGrant(w.deps, { requestId: 'req-1', kind: 'expire', actor: 'system:sweeper', reason: 'ended' });

  it('in the sweeper: never adds (it may only remove), hands a restore-membership job to the worker', async () => {
    const w = await withRealAwsAdapters(
      await seedInto(grantWorld({ repairs: 'queue' }), [{ endsAt: '2026-11-27T09:25:00.000Z' }]),
    );
    iam.on(RemoveUserFromGroupCommand).callsFake(async () => {
      await createLateGrant(w);
      return { $metadata: { requestId: 'aws-rm-7' } };
    });

    expect((await expire(w)).outcome).toBe('ended');

    expect(iam.commandCalls(AddUserToGroupCommand)).toHaveLength(0);
    expect(iam.calls().map((c) => c.args[0].constructor.name)).toEqual(['RemoveUserFromGroupCommand']);
    expect(w.repairQueue.jobs).toEqual([{ kind: 'restore-membership', requestId: 'req-9' }]);
    expect((w.audit as InMemoryAuditLog).events.at(-1)).toMatchObject({
      type: 'grant.expired',
      requestId: 'req-1',
      awsRequestId: 'aws-rm-7',
      detail: { membershipKeptFor: 'req-9', membershipRestoreRequested: true },
    });
  });

  it('in the worker: restores the membership of the other grant at once and records grant.membership-restored', async () => {
    const w = await seedInto(grantWorld({ repairs: 'in-process' }), [{ endsAt: '2026-11-27T09:25:00.000Z' }]);
    w.groups.put('jit-developers', 'alice');
    const remove = w.groups.remove.bind(w.groups);
    w.groups.remove = async (group, user) => {
      const out = await remove(group, user);
      await createLateGrant(w);
      return out;
    };

    await expire(w);

    expect(w.groups.isMember('jit-developers', 'alice')).toBe(true);
    expect(w.groups.calls.map((c) => c.op)).toEqual(['remove', 'add']);
    expect((w.audit as InMemoryAuditLog).types('req-9')).toEqual([
      'grant.activated',
      'grant.membership-restored',
    ]);
    expect(w.repairQueue.jobs).toEqual([]);
  });

  it('keeps the grant live when the repair cannot be handed over, so the failure is retried and alarmed on', async () => {
    const w = await seedInto(grantWorld({ repairs: 'queue' }), [{ endsAt: '2026-11-27T09:25:00.000Z' }]);
    w.groups.put('jit-developers', 'alice');
    const remove = w.groups.remove.bind(w.groups);
    w.groups.remove = async (group, user) => {
      const out = await remove(group, user);
      await createLateGrant(w);
      return out;
    };
    w.repairQueue.enqueue = () => Promise.reject(new Error('sqs down'));

    await expect(expire(w)).rejects.toMatchObject({ code: 'AWS_OPERATION_FAILED', transient: true });

    expect((await w.store.get('req-1'))?.status).toBe('ACTIVE');
    expect(w.groups.calls.map((c) => c.op)).toEqual(['remove']);
  });
});

describe('role grants at their natural end', () => {
  it('expire without any IAM call: the session policy already ends every session', async () => {
    const w = await seeded({ targetId: 'prod-role', targetKind: 'role', endsAt: '2026-11-27T09:20:00.000Z' });
    const result = await endGrant(w.deps, {
      requestId: 'req-1',
      kind: 'expire',
      actor: 'system:sweeper',
      reason: 'ended',
    });
    expect(result.outcome).toBe('ended');
    expect(w.denyList.denies).toHaveLength(0);
    expect((await w.store.get('req-1'))?.status).toBe('EXPIRED');
  });
});
