import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../shared/adapters/aws/clients.js';
import type { AuditEvent } from '../../shared/domain/audit.js';
import type { TargetDriver } from '../../shared/domain/target-kind.js';
import { permissionSetAdapters } from '../../shared/targets/permission-set/adapters.js';
import {
  createPermissionSetDriver,
  SEAL_PROVISION_ATTEMPTS,
} from '../../shared/targets/permission-set/driver.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { revokeGrantJob } from '../../shared/usecases/revoke-grant.js';
import { sweepExpiredGrants } from '../../shared/usecases/sweep-expired-grants.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { queryAudit } from '../../shared/usecases/query-audit.js';
import { assignmentKey, startAwsStandIn, type AwsStandIn } from '../support/aws-stand-in.js';
import { grantWorld, type GrantWorld } from '../support/fake-aws.js';
import { ManualClock, person, RecordingQueue, SequentialIds, TEST_POLICY_YAML } from '../support/fakes.js';
import { useLocalTables } from '../support/local-dynamo.js';

/**
 * Permission-set grants end to end: the real use cases on DynamoDB Local with a manual clock,
 * the real sso-admin / identitystore / organizations clients and adapters reaching the JSON
 * stand-in through AWS_ENDPOINT_URL_*, with asynchronous statuses.
 */
const db = useLocalTables();

const INSTANCE = 'arn:aws:sso:::instance/ssoins-1111222233334444';
const SET = 'arn:aws:sso:::permissionSet/ssoins-1111222233334444/ps-aaaabbbbccccdddd';
const PROD = '111111111111';
const STAGING = '222222222222';
const OU = 'ou-root-aaaaaaaa';
const USER = 'u-dev1';
const POLICY = `${TEST_POLICY_YAML}  - { id: ps-admin, kind: permission-set, instanceArn: "${INSTANCE}", identityStoreId: d-1234567890, permissionSet: AdminAccess, accounts: ["${PROD}"], ous: [${OU}], description: Admin, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h }
  - { id: ps-admin-prod, kind: permission-set, instanceArn: "${INSTANCE}", identityStoreId: d-1234567890, permissionSet: "${SET}", accounts: ["${PROD}"], description: Admin in prod, requesters: [devs], approvers: [leads], defaultDuration: 2h, maxDuration: 4h }
`;

const saved = { ...process.env };
let standIn: AwsStandIn;
beforeEach(async () => {
  standIn = await startAwsStandIn();
  process.env = { ...saved, ...standIn.env };
  const sso = standIn.state.sso;
  sso.permissionSets.set(SET, { name: 'AdminAccess', sessionDuration: 'PT1H' });
  sso.users.push({ userId: USER, userName: 'dev1', email: 'dev1@example.com' });
  sso.ous.set(OU, { accounts: [STAGING], children: [] });
  sso.accounts.set(PROD, 'prod').set(STAGING, 'staging');
});
afterEach(async () => {
  process.env = { ...saved };
  await standIn.close();
});

function world(): GrantWorld & { requestDeps: RequestDeps } {
  const clients = createAwsClients({
    maxAttempts: 1,
    deadlines: { connectMs: 1000, attemptMs: 2000, callMs: 3000 },
  });
  const w = grantWorld({
    store: db().requests,
    audit: db().audit,
    clock: new ManualClock('2026-11-27T09:00:00.000Z'),
    policyYaml: POLICY,
    extraDrivers: [createPermissionSetDriver(permissionSetAdapters(clients)) as TargetDriver],
  });
  return { ...w, requestDeps: { ...w.deps, ids: new SequentialIds(), queue: new RecordingQueue() } };
}

async function approvedRequest(
  w: ReturnType<typeof world>,
  input: { targetId: string; accounts?: string[]; principal?: string; durationSeconds?: number },
) {
  const submitted = await submitRequest(w.requestDeps, {
    requester: person('UDEV1'),
    principal: input.principal ?? 'dev1@example.com',
    targetId: input.targetId,
    reason: 'incident',
    ...(input.accounts ? { accounts: input.accounts } : {}),
    ...(input.durationSeconds ? { durationSeconds: input.durationSeconds } : {}),
  });
  if (submitted.outcome === 'refused') throw new Error(submitted.message);
  const approved = await approveRequest(w.requestDeps, {
    requestId: submitted.request.id,
    approver: person('ULEAD1'),
  });
  if (approved.outcome !== 'approved') throw new Error(approved.outcome);
  return approved.request;
}

/** Delivers an activate job until it stops asking to be delivered again (at most `max` times). */
async function activateUntilDone(w: GrantWorld, requestId: string, max = 5) {
  for (let attempt = 1; attempt <= max; attempt++) {
    try {
      return {
        attempts: attempt,
        result: await activateGrant(w.deps, { requestId, attempt, maxAttempts: 10 }),
      };
    } catch (error) {
      if (!/in progress/.test((error as Error).message)) throw error;
    }
  }
  throw new Error(`still in progress after ${max} deliveries`);
}

const has = (account: string) =>
  standIn.state.sso.assignments.has(assignmentKey(INSTANCE, SET, account, USER));

async function trail(requestId: string): Promise<AuditEvent[]> {
  const reader = new DynamoAuditQuery(db().doc, db().names.audit);
  const page = await queryAudit({ reader, clock: new ManualClock() }, { requestId, limit: 50 });
  return [...page.items].reverse();
}

describe('permission-set grants (DynamoDB Local, Identity Center stand-in)', () => {
  it('a two-account request is approved once, grants both accounts (polled) and expires both, sealing their sessions', async () => {
    const w = world();
    standIn.state.sso.plans.set('CreateAccountAssignment', { polls: 2 });
    const lead = await approvedRequest(w, { targetId: 'ps-admin', accounts: [PROD, STAGING] });
    expect(lead).toMatchObject({ account: PROD, requestGroup: lead.id, accounts: [PROD, STAGING] });
    const other = await db().requests.get(`${lead.id}-${STAGING}`);
    expect(other).toMatchObject({
      status: 'APPROVED',
      account: STAGING,
      requestGroup: lead.id,
      endsAt: lead.endsAt,
    });
    expect((w.requestDeps.queue as RecordingQueue).jobs.map((j) => j.requestId)).toEqual([
      other!.id,
      lead.id,
    ]);

    for (const id of [lead.id, other!.id]) {
      const { attempts, result } = await activateUntilDone(w, id);
      expect(result.outcome).toBe('activated');
      expect(attempts).toBe(2); // IN_PROGRESS on the first delivery, SUCCEEDED on the second
    }
    expect(has(PROD) && has(STAGING)).toBe(true);
    expect(standIn.callsOf('CreateAccountAssignment')[0]?.params).toEqual({
      InstanceArn: INSTANCE,
      TargetId: PROD,
      TargetType: 'AWS_ACCOUNT',
      PermissionSetArn: SET,
      PrincipalType: 'USER',
      PrincipalId: USER,
    });
    const activated = (await trail(other!.id)).find((e) => e.type === 'grant.activated');
    expect(activated?.detail).toMatchObject({
      account: STAGING,
      accountName: 'staging',
      permissionSetName: 'AdminAccess',
    });

    w.clock.advance(3601);
    expect(await sweepExpiredGrants(w.deps, { concurrency: 2 })).toMatchObject({ ended: 2, failed: 0 });
    expect(has(PROD) || has(STAGING)).toBe(false);
    expect((await db().requests.get(lead.id))?.status).toBe('EXPIRED');
    expect((await db().requests.get(other!.id))?.status).toBe('EXPIRED');
    // The seal: one deny per account, for sessions issued before the grant's end, provisioned there.
    const policy = JSON.parse(standIn.state.sso.inlinePolicies.get(SET)!) as {
      Statement: { Condition: Record<string, Record<string, string>> }[];
    };
    const byAccount = (c: Record<string, Record<string, string>>) => c.StringEquals!['aws:PrincipalAccount']!;
    expect(
      policy.Statement.map((s) => s.Condition).sort((a, b) => byAccount(a).localeCompare(byAccount(b))),
    ).toEqual(
      [PROD, STAGING].map((account) => ({
        StringEquals: { 'identitystore:UserId': USER, 'aws:PrincipalAccount': account },
        DateLessThan: { 'aws:TokenIssueTime': lead.endsAt },
      })),
    );
    expect(
      standIn
        .callsOf('ProvisionPermissionSet')
        .map((c) => c.params.TargetId)
        .sort(),
    ).toEqual([PROD, STAGING]);
    const expired = (await trail(lead.id)).find((e) => e.type === 'grant.expired');
    expect(expired?.detail).toMatchObject({ account: PROD, assignmentRemoved: true, sessionSeal: 'sealed' });

    // Once no session they cover can be valid (the set's session lasts 1h), the seals are pruned.
    w.clock.advance(3601);
    expect(await sweepExpiredGrants(w.deps, { concurrency: 2 })).toMatchObject({ pruned: 2 });
    expect(standIn.state.sso.inlinePolicies.has(SET)).toBe(false);
  });

  it('an assignment still IN_PROGRESS at expiry is still removed (the end waits for the creation)', async () => {
    const w = world();
    standIn.state.sso.plans.set('CreateAccountAssignment', { polls: 3 });
    const grant = await approvedRequest(w, { targetId: 'ps-admin', accounts: [PROD] });
    await expect(activateGrant(w.deps, { requestId: grant.id, attempt: 1, maxAttempts: 5 })).rejects.toThrow(
      /in progress/,
    );
    w.clock.advance(3601);
    // The creation is still running: the delete conflicts and the grant stays live.
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 0, failed: 1 });
    expect((await db().requests.get(grant.id))?.status).toBe('APPROVED');
    // It lands, and the next sweep removes it before ending the grant.
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 1, failed: 0 });
    expect(has(PROD)).toBe(false);
    expect(
      standIn.callsOf('DescribeAccountAssignmentDeletionStatus').length +
        standIn.callsOf('DeleteAccountAssignment').length,
    ).toBeGreaterThan(1);
    expect((await db().requests.get(grant.id))?.status).toBe('FAILED');
  });

  it('overlapping grants keep the assignment until the last one ends', async () => {
    const w = world();
    const short = await approvedRequest(w, { targetId: 'ps-admin', accounts: [PROD] });
    const long = await approvedRequest(w, { targetId: 'ps-admin-prod' });
    expect(long.account).toBeUndefined(); // its target has one account
    for (const id of [short.id, long.id])
      expect((await activateUntilDone(w, id)).result.outcome).toBe('activated');

    w.clock.advance(3601);
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 1 });
    expect(has(PROD)).toBe(true);
    const kept = (await trail(short.id)).find((e) => e.type === 'grant.expired');
    expect(kept?.detail).toMatchObject({ assignmentKeptFor: long.id });
    expect(standIn.callsOf('DeleteAccountAssignment')).toHaveLength(0);

    w.clock.advance(3600);
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 1 });
    expect(has(PROD)).toBe(false);
  });

  it('a FAILED creation fails the grant with an alert and leaves nothing behind', async () => {
    const w = world();
    standIn.state.sso.plans.set('CreateAccountAssignment', {
      polls: 1,
      outcome: 'FAILED',
      failureReason: 'Received a 404 status error: Not supported account',
    });
    const grant = await approvedRequest(w, { targetId: 'ps-admin', accounts: [STAGING] });
    const result = await activateGrant(w.deps, { requestId: grant.id, attempt: 1, maxAttempts: 5 });
    expect(result).toMatchObject({ outcome: 'failed' });
    expect((result as { reason: string }).reason).toMatch(/Not supported account/);
    expect((await db().requests.get(grant.id))?.status).toBe('FAILED');
    expect(w.events.kinds()).toContain('grant-failed');
    expect(w.metrics.get('GrantFailures')).toBe(1);
    expect(standIn.state.sso.assignments.size).toBe(0);
    expect(standIn.state.sso.inlinePolicies.size).toBe(0);
    expect(standIn.callsOf('ProvisionPermissionSet')).toHaveLength(0);
  });

  it('a seal whose provisioning keeps FAILING is retried a bounded number of times, then the end is recorded seal-failed with one alert and one audit event', async () => {
    const w = world();
    const grant = await approvedRequest(w, { targetId: 'ps-admin', accounts: [PROD] });
    expect((await activateUntilDone(w, grant.id)).result.outcome).toBe('activated');
    standIn.state.sso.plans.set('ProvisionPermissionSet', {
      polls: 0,
      outcome: 'FAILED',
      failureReason: 'stand-in: the account is suspended',
    });

    w.clock.advance(3601);
    for (let sweep = 1; sweep < SEAL_PROVISION_ATTEMPTS; sweep++) {
      expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 0, failed: 1 });
      // The assignment removal counts at once (access is gone); only the seal is retried.
      expect(has(PROD)).toBe(false);
      expect(await db().requests.get(grant.id)).toMatchObject({ status: 'ACTIVE', sealAttempts: sweep });
    }
    expect(w.events.kinds()).not.toContain('revoke-failing');
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ ended: 1, failed: 0 });
    expect((await db().requests.get(grant.id))?.status).toBe('EXPIRED');
    expect(standIn.callsOf('ProvisionPermissionSet')).toHaveLength(SEAL_PROVISION_ATTEMPTS);

    // One alert to the security channel, naming the account and the permission set.
    const alerts = w.events.sent.filter((e) => e.kind === 'revoke-failing');
    expect(alerts).toHaveLength(1);
    expect((alerts[0] as { error: string }).error).toMatch(new RegExp(`AdminAccess.*${PROD}`));
    const events = await trail(grant.id);
    expect(events.find((e) => e.type === 'grant.expired')?.detail).toMatchObject({
      account: PROD,
      sessionSeal: 'seal-failed',
      sealAttempts: SEAL_PROVISION_ATTEMPTS,
    });
    const gaveUp = events.filter(
      (e) => e.type === 'grant.revoke-failed' && e.detail?.stage === 'seal' && e.detail.attempt === undefined,
    );
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]?.reason).toMatch(/suspended/);

    // No further retries: later sweeps leave the ended grant alone.
    w.clock.advance(600);
    expect(await sweepExpiredGrants(w.deps, { concurrency: 1 })).toMatchObject({ examined: 0 });
    expect(standIn.callsOf('ProvisionPermissionSet')).toHaveLength(SEAL_PROVISION_ATTEMPTS);
    expect(w.events.sent.filter((e) => e.kind === 'revoke-failing')).toHaveLength(1);
  });

  it('a revoke job whose seal provisioning FAILS counts the attempt on the grant without alerting', async () => {
    const w = world();
    const grant = await approvedRequest(w, { targetId: 'ps-admin', accounts: [PROD] });
    expect((await activateUntilDone(w, grant.id)).result.outcome).toBe('activated');
    standIn.state.sso.plans.set('ProvisionPermissionSet', { polls: 0, outcome: 'FAILED' });
    const job = { requestId: grant.id, actor: 'ULEAD1', reason: 'done', attempt: 5, maxAttempts: 5 };
    await expect(revokeGrantJob(w.deps, job)).rejects.toThrow(/ProvisionPermissionSet/);
    expect(await db().requests.get(grant.id)).toMatchObject({ status: 'ACTIVE', sealAttempts: 1 });
    expect(has(PROD)).toBe(false);
    expect(w.events.kinds()).not.toContain('revoke-failing');
  });

  it('a person with no Identity Center user fails with a message that says what to fix', async () => {
    const w = world();
    const grant = await approvedRequest(w, {
      targetId: 'ps-admin',
      accounts: [PROD],
      principal: 'nobody@example.com',
    });
    const result = await activateGrant(w.deps, { requestId: grant.id, attempt: 1, maxAttempts: 5 });
    expect((result as { reason: string }).reason).toMatch(
      /nobody in IAM Identity Center \(identity store d-1234567890\) has the email or user name "nobody@example.com"; an administrator can map this person under users: of target ps-admin/,
    );
    expect(standIn.callsOf('CreateAccountAssignment')).toHaveLength(0);
  });

  it('refuses an account its target does not allow', async () => {
    const w = world();
    const grant = await approvedRequest(w, { targetId: 'ps-admin', accounts: ['333333333333'] });
    const result = await activateGrant(w.deps, { requestId: grant.id, attempt: 1, maxAttempts: 5 });
    expect((result as { reason: string }).reason).toMatch(
      /account 333333333333 is not \(or no longer\) allowed by target ps-admin/,
    );
    expect(standIn.callsOf('CreateAccountAssignment')).toHaveLength(0);
  });
});
