import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSweeperHandler } from '../../functions/sweeper/handler.js';
import { createAwsClients, type AwsDeadlines } from '../../shared/adapters/aws/clients.js';
import { createTargetDrivers } from '../../shared/targets/drivers.js';
import { IamGroupMembership } from '../../shared/targets/group/iam-group-membership.js';
import { IamSessionRevoker } from '../../shared/targets/role/iam-session-revoker.js';
import { StsSessionVendor } from '../../shared/targets/role/sts-session-vendor.js';
import type { AuditEventInput } from '../../shared/domain/audit.js';
import { isLive } from '../../shared/domain/lifecycle.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { startAwsStandIn, type AwsStandIn, type Fault } from '../support/aws-stand-in.js';
import { grantRecord, grantWorld, seedGrants, type GrantWorld } from '../support/fake-aws.js';
import { fakeWorld, ManualClock } from '../support/fakes.js';
import { useLocalTables } from '../support/local-dynamo.js';

/**
 * The fault suite: DynamoDB Local, the real IAM/STS clients and adapters, and the
 * fault-injecting AWS stand-in, with deadlines scaled down to a few hundred milliseconds
 * (production keeps DEFAULT_AWS_DEADLINES). Time limits here are generous bounds on a shared
 * machine, not performance goals.
 */
const db = useLocalTables();
const DEADLINES: AwsDeadlines = { connectMs: 300, attemptMs: 300, callMs: 1_000 };
const MAX_ATTEMPTS = 2;
/** Slack for a loaded machine on top of a deadline. */
const SLACK_MS = 2_000;
/** A whole run also writes to DynamoDB Local (the failure's audit event): more slack. */
const RUN_SLACK_MS = 15_000;
const START = '2026-11-27T09:00:00.000Z';
const at = (hhmm: string, ss = '00') => `2026-11-27T${hhmm}:${ss}.000Z`;
const GROUP_OF: Record<string, string> = { 'dev-group': 'jit-developers', sandbox: 'jit-sandbox' };

const saved = { ...process.env };
let standIn: AwsStandIn;
beforeEach(async () => {
  standIn = await startAwsStandIn();
  process.env = { ...saved, ...standIn.env };
});
afterEach(async () => {
  process.env = { ...saved };
  await standIn.close();
});

interface FaultWorld extends GrantWorld {
  readonly deps: GrantDeps;
  readonly audited: AuditEventInput[];
}

/** The grant side as the sweeper is wired, with the real AWS adapters on the stand-in. */
function faultWorld(): FaultWorld {
  const world = grantWorld({
    store: db().requests,
    audit: db().audit,
    clock: new ManualClock(START),
    repairs: 'queue',
  });
  const clients = createAwsClients({ maxAttempts: MAX_ATTEMPTS, deadlines: DEADLINES });
  const audited: AuditEventInput[] = [];
  const deps: GrantDeps = {
    ...world.deps,
    audit: {
      append: (event) => {
        audited.push(event);
        return db().audit.append(event);
      },
    },
    targets: createTargetDrivers({
      groups: new IamGroupMembership(clients.iam),
      sessions: new StsSessionVendor(clients.sts),
      denyList: new IamSessionRevoker(clients.iam, 300),
    }),
  };
  return { ...world, deps, audited };
}

function sweeper(w: FaultWorld) {
  return createSweeperHandler({ deps: w.deps, requestDeps: fakeWorld().deps, concurrency: 4, logger: quiet });
}
const quiet = { info: () => undefined, error: () => undefined };
/** A Lambda with plenty of time left: the deadlines, not the budget, bound these runs. */
const lambdaContext = { getRemainingTimeInMillis: () => 50_000 };

const active = (id: string, principal: string, targetId: string, endsAt: string) =>
  grantRecord({ id, principal, targetId, status: 'ACTIVE', startsAt: START, endsAt });

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await run();
  return { value, ms: Date.now() - started };
}

/**
 * The invariant: no grant is EXPIRED/REVOKED while its membership remains, unless another
 * live grant of the same person on the same group still covers it. Returns the violations.
 */
async function endedWithMembershipLeft(grants: readonly AccessRequest[]): Promise<string[]> {
  const current = await Promise.all(grants.map((g) => db().requests.get(g.id)));
  const live = current.filter((g): g is AccessRequest => g !== undefined && isLive(g.status));
  return current
    .filter((g): g is AccessRequest => g !== undefined && !isLive(g.status) && g.targetKind === 'group')
    .filter((g) => standIn.isMember(GROUP_OF[g.targetId] ?? '', g.principal))
    .filter((g) => !live.some((l) => l.principal === g.principal && l.targetId === g.targetId))
    .map((g) => g.id);
}

describe('faults: IAM hangs, then recovers', () => {
  it('a hung RemoveUserFromGroup is a recorded revoke failure each sweep; the first sweep after recovery removes the grant', async () => {
    const w = faultWorld();
    await seedGrants(db().doc, db().names.requests, [active('g-1', 'alice', 'dev-group', at('10:00'))]);
    standIn.state.groups.set('jit-developers', new Set(['alice']));
    standIn.fault('RemoveUserFromGroup', { kind: 'hang' }); // until released
    const run = sweeper(w);

    const sweepsWhileHung = 3;
    const runMs: number[] = [];
    for (let i = 1; i <= sweepsWhileHung; i++) {
      w.clock.set(at('10:01', String(i * 10)));
      const { value, ms } = await timed(() => run({}, lambdaContext));
      // The run answers instead of waiting on IAM: its one AWS call is cut at the call
      // deadline (checked per call below); this bound only tells "answered" from "stuck".
      expect(ms).toBeLessThan(DEADLINES.callMs + RUN_SLACK_MS);
      runMs.push(ms);
      expect(value.sweep).toMatchObject({ examined: 1, ended: 0, failed: 1 });
      expect((await db().requests.get('g-1'))?.status).toBe('ACTIVE');
      expect(standIn.isMember('jit-developers', 'alice')).toBe(true);
    }
    const hung = standIn.callsOf('RemoveUserFromGroup');
    expect(hung).toHaveLength(sweepsWhileHung * MAX_ATTEMPTS);
    await expectEachCallCutAtItsDeadline(hung);
    expect(w.audited.filter((e) => e.type === 'grant.revoke-failed')).toHaveLength(sweepsWhileHung);
    expect(w.metrics.get('RevokeFailures')).toBe(sweepsWhileHung);
    expect(w.events.kinds().filter((k) => k === 'revoke-failing')).toHaveLength(sweepsWhileHung);

    standIn.clearFaults(); // IAM recovers
    w.clock.set(at('10:02'));
    const after = await run({}, lambdaContext);

    expect(after.sweep).toMatchObject({ ended: 1, failed: 0 });
    expect((await db().requests.get('g-1'))?.status).toBe('EXPIRED');
    expect(standIn.isMember('jit-developers', 'alice')).toBe(false);
    console.log(
      `[faults] hang-then-recover: ${sweepsWhileHung} sweeps while hung, ${hung.length} hung calls ` +
        `(max ${Math.max(...hung.map((c) => c.ms ?? 0))} ms, attempt deadline ${DEADLINES.attemptMs} ms), ` +
        `${w.metrics.get('RevokeFailures')} revoke failures audited and counted, sweeps answered in ${runMs.join('/')} ms ` +
        `(call deadline ${DEADLINES.callMs} ms), ended on sweep ${sweepsWhileHung + 1}`,
    );
  });
});

describe('faults: every kind, sweep after sweep', () => {
  it('no grant ends while its membership remains, none is lost, each failure is audited and alerted', async () => {
    const w = faultWorld();
    const grants: AccessRequest[] = [
      ...Array.from({ length: 8 }, (_, i) =>
        active(`g-${i}`, `user-${i}`, i % 2 ? 'sandbox' : 'dev-group', at('10:00')),
      ),
      // Overlap: user-0 holds dev-group twice; the later grant must keep the membership.
      active('g-0-later', 'user-0', 'dev-group', at('12:00')),
      // Role grants: an expiry needs no IAM call (the session policy ends the sessions).
      active('r-1', 'carol', 'prod-role', at('10:00')),
      active('r-2', 'dave', 'prod-role', at('10:00')),
    ];
    await seedGrants(db().doc, db().names.requests, grants);
    for (const g of grants.filter((g) => g.targetKind === 'group')) {
      const group = GROUP_OF[g.targetId] ?? '';
      standIn.state.groups.set(group, new Set([...(standIn.state.groups.get(group) ?? []), g.principal]));
    }
    const faults: (Fault | undefined)[] = [
      { kind: 'hang' },
      { kind: 'server-error', times: 3 },
      { kind: 'throttle', times: 4 },
      { kind: 'deny', times: 2 },
      // Longer than the call deadline: IAM applies the removal but the answer is lost.
      { kind: 'slow', ms: DEADLINES.callMs + 200, times: 2 },
      undefined,
      undefined,
    ];
    const run = sweeper(w);
    let failed = 0;
    const violations: string[] = [];
    for (const [i, fault] of faults.entries()) {
      standIn.clearFaults();
      if (fault) {
        standIn.fault('RemoveUserFromGroup', fault);
        standIn.fault('PutRolePolicy', fault);
      }
      w.clock.set(at('10:01', String(i * 5).padStart(2, '0')));
      const { sweep } = await run({}, lambdaContext);
      failed += sweep.failed;
      violations.push(...(await endedWithMembershipLeft(grants)));
    }
    // Let the answers the slow fault held back land before the last look.
    await new Promise((r) => setTimeout(r, DEADLINES.callMs + 400));
    violations.push(...(await endedWithMembershipLeft(grants)));

    const final = await Promise.all(grants.map((g) => db().requests.get(g.id)));
    const ended = final.filter((g) => g && !isLive(g.status)).length;
    const live = final.filter((g) => g && isLive(g.status)).map((g) => g?.id);
    const auditedFailures = w.audited.filter((e) => e.type === 'grant.revoke-failed').length;
    const alerts = w.events.kinds().filter((k) => k === 'revoke-failing').length;
    const hung = standIn.calls.filter((c) => c.fault === 'hang');
    await expectEachCallCutAtItsDeadline(hung);
    console.log(
      `[faults] mixed: ${grants.length} grants, ${ended} ended, ${live.length} live (${live.join(', ')}), ` +
        `${failed} revoke failures (${auditedFailures} audited, ${w.metrics.get('RevokeFailures')} counted, ${alerts} alerted), ` +
        `${hung.length} hung calls (max ${Math.max(0, ...hung.map((c) => c.ms ?? 0))} ms), ${violations.length} invariant violations, ` +
        `${standIn.calls.length} AWS calls`,
    );

    expect(violations).toEqual([]);
    // No grant lost: every overdue grant ended; the one still running is live and keeps its membership.
    expect(final.every((g) => g !== undefined)).toBe(true);
    expect(live).toEqual(['g-0-later']);
    expect(ended).toBe(grants.length - 1);
    expect(standIn.isMember('jit-developers', 'user-0')).toBe(true);
    for (const g of grants.filter((g) => g.principal !== 'user-0' && g.targetKind === 'group')) {
      expect(standIn.isMember(GROUP_OF[g.targetId] ?? '', g.principal)).toBe(false);
    }
    // Every failure audited, counted and (the grants being minutes overdue) alerted.
    expect(failed).toBeGreaterThan(0);
    expect(auditedFailures).toBe(failed);
    expect(w.metrics.get('RevokeFailures')).toBe(failed);
    expect(alerts).toBe(failed);
  });
});

/** Each call the stand-in held open was cut by the client within about one attempt deadline. */
async function expectEachCallCutAtItsDeadline(calls: readonly { ms?: number; outcome: string }[]) {
  await expect.poll(() => calls.every((c) => c.outcome !== 'pending'), { timeout: 5_000 }).toBe(true);
  for (const call of calls) {
    expect(call.outcome).toBe('client-gave-up');
    expect(call.ms ?? Infinity).toBeLessThan(DEADLINES.attemptMs + SLACK_MS);
  }
}
