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
import { TEST_POLICY_YAML, type InMemoryAuditLog } from '../support/fakes.js';
import {
  grantRecord,
  grantWorld,
  storeGrants,
  throttled,
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
    expect(w.events.kinds()).toEqual(['grant-ended']);
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
    expect(w.events.kinds()).toEqual([]);
    w.groups.failNext('remove');
    await expect(revokeGrantJob(w.deps, { ...job, attempt: 2 })).rejects.toThrow();
    expect(w.events.kinds()).toEqual(['revoke-failing']);
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

/** The role's inline deny policy held in memory behind the IAM mock, as IAM would keep it. */
function mockRevokePolicy() {
  let stored: string | undefined;
  let puts = 0;
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
    return { $metadata: { requestId: `aws-put-${++puts}` } };
  });
}

/** The time of the deny on alice in the PutRolePolicy calls, in order. */
function deniedBefore(): string[] {
  return iam.commandCalls(PutRolePolicyCommand).map((c) => {
    const doc = JSON.parse(c.args[0].input.PolicyDocument ?? '') as {
      Statement: { Condition: { DateLessThan: Record<string, string> } }[];
    };
    return doc.Statement[0]?.Condition.DateLessThan['aws:TokenIssueTime'] ?? '';
  });
}

/** The test policy with a second target (break-glass style) on the same role as prod-role. */
const SHARED_ROLE_POLICY = TEST_POLICY_YAML.replace(
  '  - { id: sandbox,',
  '  - { id: prod-admin, kind: role, roleArn: "arn:aws:iam::111122223333:role/jit/Prod", description: Prod admin, requesters: [oncall], approvers: [leads], defaultDuration: 1h, maxDuration: 4h }\n  - { id: sandbox,',
);

const release = (w: GrantWorld, requestId = 'req-1') =>
  revokeGrantJob(w.deps, { requestId, actor: 'UDEV1', reason: 'done', attempt: 1, maxAttempts: 3 });

describe('overlapping role grants: ending one early spares the sessions another still covers', () => {
  const role = { targetId: 'prod-role', targetKind: 'role' as const };
  it.each([
    {
      description: 'another grant on the role runs longer: no deny, the sessions are kept for it',
      other: { ...role, endsAt: '2026-11-27T12:00:00.000Z' },
      denies: [],
      detail: { sessionsKeptFor: 'req-2' },
    },
    {
      description: 'another grant ends exactly when this one does: no deny',
      other: { ...role, endsAt: END },
      denies: [],
      detail: { sessionsKeptFor: 'req-2' },
    },
    {
      description: 'another grant through a second target on the same role runs longer: no deny',
      other: { targetId: 'prod-admin', targetKind: 'role' as const, endsAt: '2026-11-27T12:00:00.000Z' },
      denies: [],
      detail: { sessionsKeptFor: 'req-2' },
    },
    {
      description:
        'another grant ends before this one: the deny is written (then sealed) and names the shorter grant',
      other: { ...role, endsAt: '2026-11-27T10:00:00.000Z' },
      denies: ['2026-11-27T09:30:00Z', '2026-11-27T09:30:00Z'],
      detail: { sessionsDeniedBefore: '2026-11-27T09:30:00.000Z', coveringGrantEndsEarlier: 'req-2' },
    },
    {
      description:
        'another grant of the same person already past its end (not yet swept): the deny is written',
      other: { ...role, endsAt: '2026-11-27T09:20:00.000Z' },
      denies: ['2026-11-27T09:30:00Z', '2026-11-27T09:30:00Z'],
      detail: { sessionsDeniedBefore: '2026-11-27T09:30:00.000Z' },
    },
    {
      description: "another person's grant on the role: the deny is written",
      other: { ...role, principal: 'bob', requester: 'UDEV2', endsAt: '2026-11-27T12:00:00.000Z' },
      denies: ['2026-11-27T09:30:00Z', '2026-11-27T09:30:00Z'],
      detail: { sessionsDeniedBefore: '2026-11-27T09:30:00.000Z' },
    },
    {
      description: 'a group grant of the same person: the deny is written',
      other: { endsAt: '2026-11-27T12:00:00.000Z' },
      denies: ['2026-11-27T09:30:00Z', '2026-11-27T09:30:00Z'],
      detail: { sessionsDeniedBefore: '2026-11-27T09:30:00.000Z' },
    },
  ])('$description', async ({ other, denies, detail }) => {
    const w = await withRealAwsAdapters(
      await seedInto(grantWorld({ policyYaml: SHARED_ROLE_POLICY }), [role, other]),
    );
    mockRevokePolicy();

    expect((await release(w)).outcome).toBe('ended');

    expect(deniedBefore()).toEqual(denies);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(denies.length);
    expect((await w.store.get('req-1'))?.status).toBe('REVOKED');
    const released = (w.audit as InMemoryAuditLog).events.filter((e) => e.type === 'grant.released');
    expect(released.map((e) => e.detail)).toEqual([detail]);
  });

  it('releasing the longer grant afterwards writes the deny: nothing covers the sessions any more', async () => {
    const w = await withRealAwsAdapters(
      await seeded({ ...role }, { ...role, endsAt: '2026-11-27T12:00:00.000Z' }),
    );
    mockRevokePolicy();
    await release(w, 'req-1');
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);

    w.clock.set('2026-11-27T09:40:00.000Z');
    await release(w, 'req-2');

    expect(deniedBefore()).toEqual(['2026-11-27T09:40:00Z', '2026-11-27T09:40:00Z']);
    expect(
      (w.audit as InMemoryAuditLog).events.find((e) => e.requestId === 'req-2' && e.type === 'grant.released')
        ?.detail,
    ).toEqual({
      sessionsDeniedBefore: '2026-11-27T09:40:00.000Z',
    });
  });

  it('two grants covering each other ended at the same time: the seal of the last one written denies the sessions', async () => {
    const w = await seeded({ ...role }, { ...role });
    const transition = w.store.transition.bind(w.store);
    let interleaved = false;
    w.store.transition = async (request, change) => {
      if (request.id === 'req-1' && !interleaved) {
        interleaved = true;
        // req-2 is released between req-1's overlap check (req-2 live) and req-1's REVOKED write.
        expect((await release(w, 'req-2')).outcome).toBe('ended');
      }
      return transition(request, change);
    };

    expect((await release(w, 'req-1')).outcome).toBe('ended');

    expect(interleaved).toBe(true);
    expect(w.denyList.denies).toEqual([
      {
        roleArn: 'arn:aws:iam::111122223333:role/jit/Prod',
        principal: 'alice',
        before: new Date('2026-11-27T09:30:00.000Z'),
      },
    ]);
  });
});

describe('sealing an early end', () => {
  const role = { targetId: 'prod-role', targetKind: 'role' as const };

  /** The deny list fails from its `n`-th call on (1-based) until `heal()` is called. */
  function failDenyFrom(w: GrantWorld, n: number) {
    const deny = w.denyList.denySessionsIssuedBefore.bind(w.denyList);
    let calls = 0;
    let healed = false;
    w.denyList.denySessionsIssuedBefore = async (input) => {
      if (++calls >= n && !healed) throw throttled('iam:PutRolePolicy');
      return deny(input);
    };
    return { heal: () => (healed = true) };
  }

  it('a failing role seal ends the grant, counts RevokeFailures, records grant.revoke-failed (stage seal), alerts, and fails the job for a retry', async () => {
    const w = await seeded({ ...role });
    failDenyFrom(w, 2);

    await expect(release(w)).rejects.toMatchObject({ code: 'AWS_OPERATION_FAILED', transient: true });

    expect((await w.store.get('req-1'))?.status).toBe('REVOKED');
    expect(w.denyList.denies).toHaveLength(1);
    expect(w.metrics.get('RevokeFailures')).toBe(1);
    expect(w.metrics.get('GrantsRevoked')).toBe(1);
    expect((w.audit as InMemoryAuditLog).events.at(-1)).toMatchObject({
      type: 'grant.revoke-failed',
      requestId: 'req-1',
      fromStatus: 'REVOKED',
      actor: 'system:grant-worker',
      reason: 'iam:PutRolePolicy failed: Throttling: Rate exceeded',
      awsRequestId: 'req-throttled',
      detail: { stage: 'seal' },
    });
    expect(w.events.kinds()).toEqual(['revoke-failing', 'grant-ended']);
  });

  it('the job delivered again seals the REVOKED role grant: the deny moves forward', async () => {
    const w = await seeded({ ...role });
    const { heal } = failDenyFrom(w, 2);
    await expect(release(w)).rejects.toThrow(/sealing it failed/);
    heal();
    w.clock.set('2026-11-27T09:31:00.000Z');

    const again = await revokeGrantJob(w.deps, {
      requestId: 'req-1',
      actor: 'UDEV1',
      reason: 'done',
      attempt: 2,
      maxAttempts: 3,
    });

    expect(again.outcome).toBe('not-live');
    expect(w.denyList.denies.map((d) => d.before.toISOString())).toEqual([
      '2026-11-27T09:30:00.000Z',
      '2026-11-27T09:31:00.000Z',
    ]);
    expect(w.metrics.get('RevokeFailures')).toBe(1);
  });

  it('a seal that fails again on the delivered-again job is recorded with its attempt, alerts on the last one, and is rethrown', async () => {
    const w = await seeded({ ...role });
    failDenyFrom(w, 2);
    await expect(release(w)).rejects.toThrow();
    const job = { requestId: 'req-1', actor: 'UDEV1', reason: 'done', maxAttempts: 3 };

    await expect(revokeGrantJob(w.deps, { ...job, attempt: 2 })).rejects.toThrow(/Throttling/);
    expect(w.events.kinds()).toEqual(['revoke-failing', 'grant-ended']);
    await expect(revokeGrantJob(w.deps, { ...job, attempt: 3 })).rejects.toThrow(/Throttling/);

    expect(w.metrics.get('RevokeFailures')).toBe(3);
    expect(w.events.kinds()).toEqual(['revoke-failing', 'grant-ended', 'revoke-failing']);
    expect(
      (w.audit as InMemoryAuditLog).events
        .filter((e) => e.type === 'grant.revoke-failed')
        .map((e) => e.detail),
    ).toEqual([{ stage: 'seal' }, { stage: 'seal', attempt: 2 }, { stage: 'seal', attempt: 3 }]);
  });

  // prod-role's max session is 1 h (the policy default); the grant was REVOKED at 09:30.
  it.each([
    {
      description: 'within the max session after the REVOKED write: sealed again at that time',
      at: '2026-11-27T10:29:59.000Z',
      resealed: ['2026-11-27T10:29:59.000Z'],
    },
    {
      description: 'once the max session after the REVOKED write has passed: nothing left to seal',
      at: '2026-11-27T10:30:00.000Z',
      resealed: [],
    },
    {
      description: 'once the grant end has passed (its session policy): nothing left to seal',
      at: '2026-11-27T10:00:00.000Z',
      endsAt: '2026-11-27T10:00:00.000Z',
      resealed: [],
    },
  ])(
    'a revoke job delivered again for a REVOKED role grant $description',
    async ({ at, endsAt, resealed }) => {
      const w = await seeded({ ...role, ...(endsAt === undefined ? {} : { endsAt }) });
      expect((await release(w)).outcome).toBe('ended');
      const first = w.denyList.denies.length; // the deny and its seal
      w.clock.set(at);

      expect((await release(w)).outcome).toBe('not-live');

      expect(w.denyList.denies.slice(first).map((d) => d.before.toISOString())).toEqual(resealed);
    },
  );

  it('a redelivered job for a REVOKED role grant still spares the sessions another live grant covers', async () => {
    const w = await seeded({ ...role }, { ...role, endsAt: '2026-11-27T12:00:00.000Z' });
    expect((await release(w)).outcome).toBe('ended');
    w.clock.set('2026-11-27T09:35:00.000Z');
    expect((await release(w)).outcome).toBe('not-live');
    expect(w.denyList.denies).toEqual([]);
  });

  it('a failing group seal ends the grant, counts RevokeFailures and records grant.revoke-failed (stage seal); the reconciler backs it up, so the job succeeds', async () => {
    const w = await seeded({});
    w.groups.put('jit-developers', 'alice');
    const remove = w.groups.remove.bind(w.groups);
    let calls = 0;
    w.groups.remove = async (group, user) => {
      if (++calls === 2) throw throttled();
      return remove(group, user);
    };

    const result = await release(w);

    expect(result).toMatchObject({
      outcome: 'ended',
      sealFailed: 'iam:RemoveUserFromGroup failed: Throttling: Rate exceeded',
    });
    expect((await w.store.get('req-1'))?.status).toBe('REVOKED');
    expect(w.metrics.get('RevokeFailures')).toBe(1);
    expect((w.audit as InMemoryAuditLog).events.at(-1)).toMatchObject({
      type: 'grant.revoke-failed',
      requestId: 'req-1',
      reason: 'iam:RemoveUserFromGroup failed: Throttling: Rate exceeded',
      detail: { stage: 'seal' },
    });
    expect(w.events.kinds()).toEqual(['revoke-failing', 'grant-ended']);
  });
});

describe('two group grants that cover each other, released at the same moment', () => {
  it('do not both keep the membership', async () => {
    const w = await seeded({}, { endsAt: END });
    w.groups.put('jit-developers', 'alice');
    const release = (requestId: string) =>
      endGrant(w.deps, { requestId, kind: 'release', actor: 'UDEV1', reason: 'done' });
    const results = await Promise.all([release('req-1'), release('req-2')]);
    expect(results.map((r) => r.outcome)).toEqual(['ended', 'ended']);
    expect(w.groups.members('jit-developers')).toEqual([]);
  });
});
