import { AddUserToGroupCommand, IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsOperationError } from '../../shared/domain/grant-ports.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import type { InMemoryAuditLog } from '../support/fakes.js';
import { grantRecord, grantWorld, throttled, withRealAwsAdapters } from '../support/fake-aws.js';

const START = '2026-11-27T09:00:00.000Z';
const END = '2026-11-27T10:00:00.000Z';

async function seeded(fields: Partial<Parameters<typeof grantRecord>[0]> = {}) {
  const world = grantWorld();
  const grant = grantRecord({ id: 'req-1', startsAt: START, endsAt: END, ...fields });
  await world.store.create(grant, {
    type: 'request.approved',
    at: START,
    actor: 'ULEAD1',
    subject: 'UDEV1',
    targetId: grant.targetId,
    requestId: grant.id,
    breakGlass: false,
  });
  return { ...world, grant, auditTrail: world.audit as InMemoryAuditLog };
}

const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
afterEach(() => {
  iam.reset();
  sts.reset();
});

describe('activateGrant', () => {
  it('adds the group membership, moves the grant to ACTIVE and tells the requester', async () => {
    const w = await seeded();
    const result = await activateGrant(w.deps, { requestId: 'req-1', attempt: 1, maxAttempts: 5 });
    expect(result.outcome).toBe('activated');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(true);
    expect((await w.store.get('req-1'))?.status).toBe('ACTIVE');
    const event = w.auditTrail.events.at(-1);
    expect(event).toMatchObject({
      type: 'grant.activated',
      fromStatus: 'APPROVED',
      toStatus: 'ACTIVE',
      actor: 'system:grant-worker',
      awsRequestId: 'iam-1',
    });
    expect(w.events.kinds()).toEqual(['grant-active']);
    expect(w.metrics.get('GrantsActivated')).toBe(1);
  });

  it('sends exactly AddUserToGroup(group, principal) and records its request id', async () => {
    const w = await withRealAwsAdapters(await seeded());
    iam.on(AddUserToGroupCommand).resolves({ $metadata: { requestId: 'aws-add-9' } });
    await activateGrant(w.deps, { requestId: 'req-1', attempt: 1, maxAttempts: 5 });
    expect(iam.calls().map((c) => [c.args[0].constructor.name, c.args[0].input])).toEqual([
      ['AddUserToGroupCommand', { GroupName: 'jit-developers', UserName: 'alice' }],
    ]);
    expect((w.audit as InMemoryAuditLog).events.at(-1)?.awsRequestId).toBe('aws-add-9');
  });

  it('activates a role grant without calling AWS: sessions are minted on demand', async () => {
    const w = await withRealAwsAdapters(await seeded({ targetId: 'prod-role', targetKind: 'role' }));
    const result = await activateGrant(w.deps, { requestId: 'req-1', attempt: 1, maxAttempts: 5 });
    expect(result.outcome).toBe('activated');
    expect(iam.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
  });

  it.each([
    {
      description: 'a transient failure before the last attempt is rethrown for a retry',
      attempt: 2,
      error: throttled('iam:AddUserToGroup'),
      outcome: 'throws',
    },
    {
      description: 'a transient failure on the last attempt makes the grant FAILED',
      attempt: 5,
      error: throttled('iam:AddUserToGroup'),
      outcome: 'failed',
    },
    {
      description: 'a permanent failure makes the grant FAILED at once',
      attempt: 1,
      error: new AwsOperationError('iam:AddUserToGroup', 'NoSuchEntity: no user alice', { transient: false }),
      outcome: 'failed',
    },
  ])('$description', async ({ attempt, error, outcome }) => {
    const w = await seeded();
    w.groups.failNext('add', error);
    const run = activateGrant(w.deps, { requestId: 'req-1', attempt, maxAttempts: 5 });
    if (outcome === 'throws') {
      await expect(run).rejects.toBe(error);
      expect((await w.store.get('req-1'))?.status).toBe('APPROVED');
      expect(w.metrics.get('GrantFailures')).toBe(0);
      return;
    }
    await expect(run).resolves.toMatchObject({ outcome: 'failed' });
    const stored = await w.store.get('req-1');
    expect(stored?.status).toBe('FAILED');
    expect(stored?.failureReason).toContain(error.message);
    expect(w.auditTrail.types('req-1').at(-1)).toBe('grant.failed');
    expect(w.metrics.get('GrantFailures')).toBe(1);
    expect(w.events.kinds()).toEqual(['grant-failed']);
  });

  it('does nothing for a redelivered job of an ACTIVE grant', async () => {
    const w = await seeded({ status: 'ACTIVE' });
    expect((await activateGrant(w.deps, { requestId: 'req-1', attempt: 2, maxAttempts: 5 })).outcome).toBe(
      'skipped',
    );
    expect(w.groups.calls).toHaveLength(0);
  });

  it('leaves a grant whose window already closed to the sweeper', async () => {
    const w = await seeded();
    w.clock.set(END);
    expect((await activateGrant(w.deps, { requestId: 'req-1', attempt: 1, maxAttempts: 5 })).outcome).toBe(
      'window-closed',
    );
    expect(w.groups.calls).toHaveLength(0);
  });

  it('takes the membership away again when the grant was revoked while it was being added', async () => {
    const w = await seeded();
    const original = w.groups.add.bind(w.groups);
    w.groups.add = async (group, user) => {
      const receipt = await original(group, user);
      const current = await w.store.get('req-1');
      if (current?.status === 'APPROVED') {
        await w.store.transition(current, {
          to: 'REVOKED',
          at: w.clock.now(),
          audit: {
            type: 'grant.revoked',
            at: START,
            actor: 'UADMIN',
            subject: 'UDEV1',
            targetId: 'dev-group',
            requestId: 'req-1',
            breakGlass: false,
          },
        });
      }
      return receipt;
    };
    const result = await activateGrant(w.deps, { requestId: 'req-1', attempt: 1, maxAttempts: 5 });
    expect(result.outcome).toBe('skipped');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(false);
  });
});
