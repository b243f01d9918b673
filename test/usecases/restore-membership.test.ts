import { AddUserToGroupCommand, IAMClient, RemoveUserFromGroupCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsOperationError } from '../../shared/domain/grant-ports.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import {
  restoreInProcess,
  restoreMembership,
  restoreThroughQueue,
} from '../../shared/usecases/restore-membership.js';
import { RecordingQueue, type InMemoryAuditLog } from '../support/fakes.js';
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
const NOW = '2026-11-27T09:30:00.000Z';

async function withGrant(fields: Partial<AccessRequest> = {}, world: GrantWorld = grantWorld()) {
  const grant = grantRecord({
    id: 'req-1',
    status: 'ACTIVE',
    startsAt: START,
    endsAt: '2026-11-27T11:00:00.000Z',
    ...fields,
  });
  await storeGrants(world, [grant]);
  world.clock.set(NOW);
  return world;
}

const audit = (w: GrantWorld) => w.audit as InMemoryAuditLog;

describe('restoreMembership', () => {
  it('adds the holder of a live group grant back (AddUserToGroup) and records grant.membership-restored with the AWS request id', async () => {
    const w = await withRealAwsAdapters(await withGrant());
    iam.on(AddUserToGroupCommand).resolves({ $metadata: { requestId: 'aws-add-3' } });
    const stored = await w.store.get('req-1');

    const result = await restoreMembership(w.deps, { requestId: 'req-1' });

    expect(result.outcome).toBe('restored');
    expect(iam.calls().map((c) => [c.args[0].constructor.name, c.args[0].input])).toEqual([
      ['AddUserToGroupCommand', { GroupName: 'jit-developers', UserName: 'alice' }],
    ]);
    const event = audit(w).events.at(-1);
    expect(event).toMatchObject({
      type: 'grant.membership-restored',
      requestId: 'req-1',
      actor: 'system:grant-worker',
      principal: 'alice',
      fromStatus: 'ACTIVE',
      awsRequestId: 'aws-add-3',
      detail: { groupName: 'jit-developers' },
    });
    // Not a transition: the state and version stay as they were.
    expect(event?.toStatus).toBeUndefined();
    expect(await w.store.get('req-1')).toEqual(stored);
  });

  it('restores an APPROVED grant whose activation has not run yet', async () => {
    const w = await withGrant({ status: 'APPROVED' });
    expect((await restoreMembership(w.deps, { requestId: 'req-1' })).outcome).toBe('restored');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(true);
  });

  it.each([
    { description: 'an expired grant', fields: { status: 'EXPIRED' }, reason: 'not-live' },
    { description: 'a revoked grant', fields: { status: 'REVOKED' }, reason: 'not-live' },
    { description: 'a failed grant', fields: { status: 'FAILED' }, reason: 'not-live' },
    {
      description: 'a live grant whose window has closed',
      fields: { endsAt: '2026-11-27T09:30:00.000Z' },
      reason: 'window-closed',
    },
    {
      description: 'a role grant',
      fields: { targetId: 'prod-role', targetKind: 'role' },
      reason: 'not-a-group',
    },
    {
      description: 'a group grant whose target left the policy',
      fields: { targetId: 'old-group', targetKind: 'group' },
      reason: 'not-a-group',
    },
  ] as const)('does nothing for $description', async ({ fields, reason }) => {
    const w = await withGrant(fields);
    const before = audit(w).events.length;
    expect(await restoreMembership(w.deps, { requestId: 'req-1' })).toEqual({ outcome: 'skipped', reason });
    expect(w.groups.calls).toEqual([]);
    expect(audit(w).events).toHaveLength(before);
  });

  it('does nothing for an unknown grant', async () => {
    const w = grantWorld();
    expect(await restoreMembership(w.deps, { requestId: 'nope' })).toEqual({
      outcome: 'skipped',
      reason: 'not-found',
    });
    expect(w.groups.calls).toEqual([]);
  });

  it.each([
    { description: 'a transient failure (throttling)', error: throttled('iam:AddUserToGroup') },
    {
      description: 'a permanent failure (the DLQ alarm brings a human)',
      error: new AwsOperationError('iam:AddUserToGroup', 'AccessDenied', { transient: false }),
    },
  ])('rethrows $description so the queue delivers the job again, recording nothing', async ({ error }) => {
    const w = await withGrant();
    w.groups.failNext('add', error);
    const before = audit(w).events.length;
    await expect(restoreMembership(w.deps, { requestId: 'req-1' })).rejects.toBe(error);
    expect(audit(w).events).toHaveLength(before);
    expect((await restoreMembership(w.deps, { requestId: 'req-1' })).outcome).toBe('restored');
  });

  it('takes the membership away again when the grant ended while it was being added', async () => {
    const w = await withRealAwsAdapters(await withGrant());
    iam.on(AddUserToGroupCommand).callsFake(async () => {
      const current = (await w.store.get('req-1')) as AccessRequest;
      await w.store.transition(current, {
        to: 'REVOKED',
        at: new Date(NOW),
        audit: {
          type: 'grant.revoked',
          at: NOW,
          actor: 'USEC1',
          subject: 'UDEV1',
          targetId: 'dev-group',
          requestId: 'req-1',
          fromStatus: 'ACTIVE',
          toStatus: 'REVOKED',
          breakGlass: false,
        },
      });
      return { $metadata: { requestId: 'aws-add-4' } };
    });
    iam.on(RemoveUserFromGroupCommand).resolves({ $metadata: { requestId: 'aws-rm-4' } });

    await restoreMembership(w.deps, { requestId: 'req-1' });

    expect(iam.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'AddUserToGroupCommand',
      'RemoveUserFromGroupCommand',
    ]);
  });
});

describe('membership repairs', () => {
  it('in process (the worker): restores at once', async () => {
    const w = await withGrant();
    const { repairs: _unused, ...ports } = w.deps;
    await restoreInProcess(ports).restore('req-1');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(true);
  });

  it('through the queue (the sweeper): enqueues a restore-membership job and adds nothing', async () => {
    const w = await withGrant();
    const queue = new RecordingQueue();
    await restoreThroughQueue(queue).restore('req-1');
    expect(queue.jobs).toEqual([{ kind: 'restore-membership', requestId: 'req-1' }]);
    expect(w.groups.calls).toEqual([]);
  });
});
