import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { PolicyError } from '../../shared/domain/errors.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { TargetDriver } from '../../shared/domain/target-kind.js';
import { TARGET_KINDS } from '../../shared/targets/kinds.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { queryAudit } from '../../shared/usecases/query-audit.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { sweepExpiredGrants } from '../../shared/usecases/sweep-expired-grants.js';
import { verifyAudit } from '../../shared/usecases/verify-audit.js';
import { grantWorld } from '../support/fake-aws.js';
import { createFeatureFlagDriver, FEATURE_FLAG_KIND, InMemoryFlags } from '../support/fake-target-kind.js';
import { ManualClock, person, RecordingQueue, SequentialIds, TEST_POLICY_YAML } from '../support/fakes.js';
import { useLocalTables } from '../support/local-dynamo.js';

const db = useLocalTables();

const POLICY = `${TEST_POLICY_YAML}  - { id: beta-checkout, kind: feature-flag, flag: new-checkout, description: Beta checkout, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 2h }
`;

describe('a third target kind from the test tree only (a feature flag)', () => {
  it('the policy parser takes the kinds it is given: the default registry refuses the unknown kind', () => {
    expect(() => parsePolicy(POLICY, 'p')).toThrow(PolicyError);
    expect(() => parsePolicy(POLICY, 'p')).toThrow(
      /targets\[3\]\.kind: kind must be "role" or "group" or "permission-set" or "identity-center-group"/,
    );
    const policy = parsePolicy(POLICY, 'p', [...TARGET_KINDS, FEATURE_FLAG_KIND]);
    expect(policy.targets[3]).toMatchObject({
      kind: 'feature-flag',
      flag: 'new-checkout',
      maxDurationSeconds: 7200,
    });
    expect(() =>
      parsePolicy(POLICY.replace('flag: new-checkout', 'flag: New!'), 'p', [
        ...TARGET_KINDS,
        FEATURE_FLAG_KIND,
      ]),
    ).toThrow(/targets\[3\]\.flag: is not a flag name/);
  });

  it('runs request → approve → activate → expire → audit through the real use cases (DynamoDB Local)', async () => {
    const flags = new InMemoryFlags();
    const clock = new ManualClock('2026-11-27T09:00:00.000Z');
    const w = grantWorld({
      store: db().requests,
      audit: db().audit,
      clock,
      policyYaml: POLICY,
      extraKinds: [FEATURE_FLAG_KIND],
      extraDrivers: [createFeatureFlagDriver(flags) as TargetDriver],
    });
    const requestDeps: RequestDeps = { ...w.deps, ids: new SequentialIds(), queue: new RecordingQueue() };

    const submitted = await submitRequest(requestDeps, {
      requester: person('UDEV1'),
      principal: 'dev1',
      targetId: 'beta-checkout',
      reason: 'try the new checkout',
    });
    if (submitted.outcome === 'refused') throw new Error(submitted.message);
    const id = submitted.request.id;
    expect(submitted.request.targetKind).toBe('feature-flag');
    const approved = await approveRequest(requestDeps, { requestId: id, approver: person('ULEAD1') });
    expect(approved.outcome).toBe('approved');

    const activated = await activateGrant(w.deps, { requestId: id, attempt: 1, maxAttempts: 3 });
    expect(activated.outcome).toBe('activated');
    expect(flags.isOn('new-checkout', 'dev1')).toBe(true);

    clock.advance(3601);
    const swept = await sweepExpiredGrants(w.deps, { concurrency: 2 });
    expect(swept).toMatchObject({ examined: 1, ended: 1, failed: 0 });
    expect(flags.isOn('new-checkout', 'dev1')).toBe(false);
    expect(flags.calls).toEqual(['enable new-checkout dev1', 'disable new-checkout dev1']);
    expect((await db().requests.get(id))?.status).toBe('EXPIRED');

    const reader = new DynamoAuditQuery(db().doc, db().names.audit);
    const trail = await queryAudit({ reader, clock }, { requestId: id, limit: 50 });
    const oldestFirst = [...trail.items].reverse();
    expect(oldestFirst.map((e) => e.type)).toEqual([
      'request.submitted',
      'request.approved',
      'grant.activated',
      'grant.expired',
    ]);
    expect(oldestFirst[2]?.detail).toMatchObject({ flag: 'new-checkout' });
    expect(oldestFirst[3]?.detail).toMatchObject({ flag: 'new-checkout', wasOn: true });
    expect(await verifyAudit({ chains: reader, clock })).toMatchObject({ ok: true });
  });
});
