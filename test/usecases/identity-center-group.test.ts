import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityCenterUsers } from '../../shared/adapters/aws/identity-center-users.js';
import type { TargetDriver } from '../../shared/domain/target-kind.js';
import { createIdentityCenterGroupDriver } from '../../shared/targets/identity-center-group/driver.js';
import { IdentityStoreGroupMembership } from '../../shared/targets/identity-center-group/identity-store-membership.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import { reconcileGroups } from '../../shared/usecases/reconcile-groups.js';
import { sweepExpiredGrants } from '../../shared/usecases/sweep-expired-grants.js';
import { grantRecord, grantWorld, storeGrants } from '../support/fake-aws.js';
import { ManualClock, TEST_POLICY_YAML } from '../support/fakes.js';
import { InMemoryIdentityStore } from '../support/fake-identity-store.js';
import { useLocalTables } from '../support/local-dynamo.js';

const db = useLocalTables();

const STORE = 'd-1234567890';
const GROUP = 'a1b2c3d4e5-11111111-2222-3333-4444-555555555555';
const ALICE = 'a1b2c3d4e5-aaaaaaaa-0000-0000-0000-000000000001';
const MALLORY = 'a1b2c3d4e5-aaaaaaaa-0000-0000-0000-000000000002';

const POLICY = `${TEST_POLICY_YAML}  - { id: ic-ops, kind: identity-center-group, identityStoreId: ${STORE}, groupDisplayName: Prod Operators, description: Prod operators, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h }
`;

let ids: InMemoryIdentityStore;
beforeEach(() => {
  ids = new InMemoryIdentityStore().addUser('alice@example.com', ALICE).addGroup('Prod Operators', GROUP);
});
afterEach(() => ids.restore());

function world(clock: ManualClock) {
  const driver = createIdentityCenterGroupDriver({
    identityCenterGroups: new IdentityStoreGroupMembership(ids.client),
    identityCenterUsers: new IdentityCenterUsers(ids.client),
  });
  return grantWorld({
    store: db().requests,
    audit: db().audit,
    clock,
    policyYaml: POLICY,
    extraDrivers: [driver as TargetDriver],
  });
}

const grant = (id: string, startsAt: string, endsAt: string) =>
  grantRecord({
    id,
    targetId: 'ic-ops',
    targetKind: 'identity-center-group',
    principal: 'alice@example.com',
    startsAt,
    endsAt,
  });

describe('Identity Center group grants (DynamoDB Local, manual clock)', () => {
  it('grants the membership, keeps it while an overlapping grant runs, and removes it when the last one expires', async () => {
    const clock = new ManualClock('2026-11-27T09:00:00.000Z');
    const w = world(clock);
    await storeGrants(w, [
      grant('ic-1', '2026-11-27T09:00:00.000Z', '2026-11-27T10:00:00.000Z'),
      grant('ic-2', '2026-11-27T09:00:00.000Z', '2026-11-27T11:00:00.000Z'),
    ]);

    expect(await activateGrant(w.deps, { requestId: 'ic-1', attempt: 1, maxAttempts: 3 })).toMatchObject({
      outcome: 'activated',
    });
    // The second activation meets an existing member (ConflictException): still a success.
    expect(await activateGrant(w.deps, { requestId: 'ic-2', attempt: 1, maxAttempts: 3 })).toMatchObject({
      outcome: 'activated',
    });
    expect(ids.members(GROUP)).toEqual([ALICE]);

    clock.set('2026-11-27T10:00:01.000Z');
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 1, failed: 0 });
    expect((await db().requests.get('ic-1'))?.status).toBe('EXPIRED');
    expect(ids.members(GROUP)).toEqual([ALICE]);

    clock.set('2026-11-27T11:00:01.000Z');
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 1, failed: 0 });
    expect((await db().requests.get('ic-2'))?.status).toBe('EXPIRED');
    expect(ids.members(GROUP)).toEqual([]);
  });

  it('the reconciler removes a standing member and keeps the member a live grant covers', async () => {
    const clock = new ManualClock('2026-11-27T09:00:00.000Z');
    const w = world(clock);
    await storeGrants(w, [grant('ic-3', '2026-11-27T09:00:00.000Z', '2026-11-27T10:00:00.000Z')]);
    await activateGrant(w.deps, { requestId: 'ic-3', attempt: 1, maxAttempts: 3 });
    ids.putMember(GROUP, MALLORY);

    const report = await reconcileGroups(w.deps, { remove: true });
    expect(report.findings).toEqual([
      { targetId: 'ic-ops', groupName: 'Prod Operators', member: MALLORY, removed: true },
    ]);
    expect(report.missing).toEqual([]);
    expect(ids.members(GROUP)).toEqual([ALICE]);
  });
});
