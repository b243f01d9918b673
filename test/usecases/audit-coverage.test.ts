import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, AuditEventInput } from '../../shared/domain/audit.js';
import type { Annotation, Transition, TransitionResult } from '../../shared/domain/ports.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { approveRequest, denyRequest } from '../../shared/usecases/approve-request.js';
import { auditOf } from '../../shared/usecases/audit-events.js';
import { breakGlass, reviewBreakGlass } from '../../shared/usecases/break-glass.js';
import { cancelRequest } from '../../shared/usecases/cancel-request.js';
import { followUpPendingRequests } from '../../shared/usecases/follow-up-pending.js';
import { releaseGrant } from '../../shared/usecases/release-grant.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { AwsOperationError } from '../../shared/domain/grant-ports.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import { issueCredentials } from '../../shared/usecases/issue-credentials.js';
import { listMyAccess } from '../../shared/usecases/list-my-access.js';
import { reconcileGroups } from '../../shared/usecases/reconcile-groups.js';
import { requestCredentials } from '../../shared/usecases/request-credentials.js';
import { restoreMembership } from '../../shared/usecases/restore-membership.js';
import { revokeGrantJob } from '../../shared/usecases/revoke-grant.js';
import { sweepExpiredGrants } from '../../shared/usecases/sweep-expired-grants.js';
import { grantWorld, throttled } from '../support/fake-aws.js';
import {
  fakeWorld,
  InMemoryAuditLog,
  InMemoryRequestStore,
  person,
  TEST_POLICY_YAML,
} from '../support/fakes.js';
import { extendWithGrace } from '../../shared/usecases/grace-extension.js';
import { warnExpiringGrants } from '../../shared/usecases/warn-expiring-grants.js';
import { createLocalTables } from '../support/local-dynamo.js';

/**
 * The invariant behind "every use case writes its audit event": every write to a request
 * increments its `version` and writes exactly one audit event for that request in the same
 * atomic write. So for every request, its lifecycle events (those written with a store
 * write, not standalone appends such as `session.issued`) number exactly its version, and
 * each one names the state change it came with.
 */

/** Tells store-written events from standalone ones (AuditLog.append). */
class TaggingAuditLog extends InMemoryAuditLog {
  readonly standalone = new Set<AuditEvent>();
  override async append(input: AuditEventInput): Promise<AuditEvent> {
    const event = this.appendNow(input);
    this.standalone.add(event);
    return event;
  }
  lifecycleEvents(requestId: string): AuditEvent[] {
    return this.events.filter((e) => e.requestId === requestId && !this.standalone.has(e));
  }
}

/** Checks that every write's audit event describes that write (request, from and to state). */
class CheckingStore extends InMemoryRequestStore {
  readonly mismatches: string[] = [];
  override async create(request: AccessRequest, audit: AuditEventInput) {
    this.check('create', request, audit, undefined, request.status);
    return super.create(request, audit);
  }
  override async transition(current: AccessRequest, t: Transition): Promise<TransitionResult> {
    this.check('transition', current, t.audit, current.status, t.to);
    return super.transition(current, t);
  }
  override async annotate(current: AccessRequest, a: Annotation): Promise<TransitionResult> {
    this.check('annotate', current, a.audit, current.status, a.audit.toStatus ?? current.status);
    return super.annotate(current, a);
  }
  private check(
    what: string,
    request: AccessRequest,
    audit: AuditEventInput | undefined,
    from: string | undefined,
    to: string,
  ) {
    const problem =
      audit === undefined
        ? 'no audit event'
        : audit.requestId !== request.id
          ? `event for ${audit.requestId}`
          : audit.fromStatus !== from
            ? `fromStatus ${audit.fromStatus} instead of ${from}`
            : (audit.toStatus ?? request.status) !== to
              ? `toStatus ${audit.toStatus} instead of ${to}`
              : audit.subject !== request.requester || audit.targetId !== request.targetId
                ? 'wrong subject or target'
                : undefined;
    if (problem) this.mismatches.push(`${what} ${request.id} (${audit?.type ?? '?'}): ${problem}`);
  }
}

function checkedWorld(policyYaml?: string) {
  const world = fakeWorld(policyYaml);
  const audit = new TaggingAuditLog();
  const store = new CheckingStore(audit);
  const grant = grantWorld({ store, audit, clock: world.clock });
  return { ...world, audit, store, deps: { ...world.deps, audit, store }, grant };
}

/** The invariant, for every request the store holds. */
function expectOneEventPerWrite(store: CheckingStore, audit: TaggingAuditLog) {
  expect(store.mismatches).toEqual([]);
  expect(store.items.size).toBeGreaterThan(0);
  for (const [id, request] of store.items) {
    expect(audit.lifecycleEvents(id).length, `${id}: lifecycle events vs version`).toBe(request.version);
  }
}

/** Use cases each driven below (by module), and those that write no request by design. */
const DRIVEN: Record<string, readonly string[]> = {
  'submit-request': ['submitRequest'],
  'approve-request': ['approveRequest', 'approveAutomatically', 'denyRequest'],
  'cancel-request': ['cancelRequest'],
  'break-glass': ['breakGlass', 'reviewBreakGlass'],
  'follow-up-pending': ['followUpPendingRequests'],
  'release-grant': ['releaseGrant'],
  'activate-grant': ['activateGrant'],
  'revoke-grant': ['revokeGrantJob', 'endGrant'],
  'revoke-failures': ['recordRevokeFailure', 'sealSafely', 'recordSealFailure'],
  'sweep-expired-grants': ['sweepExpiredGrants'],
  'issue-credentials': ['issueCredentials'],
  'reconcile-groups': ['reconcileGroups'],
  'restore-membership': ['restoreMembership', 'restoreInProcess', 'restoreThroughQueue'],
  'grace-extension': ['extendWithGrace'],
  'warn-expiring-grants': ['warnExpiringGrants'],
};
const NO_REQUEST_WRITES: Record<string, string> = {
  'deliver-access-review':
    'a report: writes the CSV and a once-per-period marker, changes no request or grant',
  'audit-events': 'builds events, writes nothing',
  'retry-on-conflict': 'the read-decide-write loop; the callers (driven above) write through it',
  deps: 'types',
  'grant-deps': 'types',
  'request-credentials': 'hands a job to the grant worker, writes nothing',
  'resend-stalled-activations': 'hands jobs to the grant worker again, writes nothing',
  'live-grants': 'reads the live grants, writes nothing',
  refusals: 'maps refusals to errors, writes nothing',
  'identify-person': 'looks a person up in a directory and maps their AWS identity, writes nothing',
  'list-my-access': 'reads requests',
  'prepare-forms': 'reads a request or the policy to decide whether a form opens, writes nothing',
  'query-audit': 'reads the audit trail',
  'verify-audit': 'reads the audit trail',
  'anchor-audit': 'signs the chain heads into the anchor store, changes no request',
  'digest-audit':
    'copies closed days of the audit trail into the digests (checked by verify), changes no request',
  'verify-anchors': 'reads the audit trail and the anchors',
  'check-ticket':
    'asks the ticket system; a refusal writes no request, only a standalone request.refused (tickets-and-on-call.test.ts)',
  'end-closed-ticket-grants': 'stores ends through recordEndRequest (release-grant, driven above)',
  'revoke-access':
    'decides who may revoke, then stores each end through requestEarlyEnd/recordEndRequest (release-grant, driven above)',
  channel: 'wraps the store and audit log to name the channel on events; the writes are the wrapped callers’',
  'policy-provenance': 'stores content-addressed policy versions (not requests) and builds decision detail',
  'explain-decision': 'reads the trail and kept policy versions to explain a decision; writes nothing',
  'archive-audit': 'copies audit events into the archive store, changes no request',
  'access-dashboard': 'reads live grants and the audit trail, writes nothing',
  'list-waiting-approvals': 'reads pending requests and the audit trail, writes nothing',
  'requester-history': 'reads the audit trail, writes nothing',
  'grant-names': 'reads account and permission-set names for messages, writes nothing',
  'access-review-report': 'reads the audit trail (the periodic access review)',
  'summarise-activity':
    'appends a standalone grant.activity-summarised (summarise-activity.test.ts), writes no request',
};

describe('every use case writes its audit event', () => {
  it('request side: events per request == version, each naming its own state change', async () => {
    const { deps, clock, store, audit } = checkedWorld();
    const submit = async (requester: string, targetId: string) => {
      const r = await submitRequest(deps, {
        requester: person(requester),
        principal: requester.toLowerCase(),
        targetId,
        reason: 'work',
        ticket: 'INC-1',
      });
      if (r.outcome === 'refused') throw new Error(r.message);
      return r.request.id;
    };
    // M of N: two approvals on prod-role, the first recorded, the second approving.
    const approved = await submit('UDEV1', 'prod-role');
    expect((await approveRequest(deps, { requestId: approved, approver: person('ULEAD1') })).outcome).toBe(
      'recorded',
    );
    expect((await approveRequest(deps, { requestId: approved, approver: person('ULEAD2') })).outcome).toBe(
      'approved',
    );
    // Auto-approval at submission.
    const auto = await submit('UDEV2', 'sandbox');
    const denied = await submit('UDEV1', 'dev-group');
    await denyRequest(deps, { requestId: denied, approver: person('ULEAD1'), reason: 'not now' });
    const cancelled = await submit('UDEV2', 'dev-group');
    await cancelRequest(deps, { requestId: cancelled, requester: 'UDEV2' });
    const glass = await breakGlass(deps, {
      requester: person('UONCALL1'),
      principal: 'oncall1',
      targetId: 'prod-role',
      reason: 'outage',
      ticket: 'INC-1',
    });
    if (glass.outcome !== 'granted') throw new Error(glass.message);
    await reviewBreakGlass(deps, { requestId: glass.request.id, reviewer: person('USEC1'), note: 'fine' });
    // Follow-up: one reminder, then a time-out.
    const ignored = await submit('UDEV1', 'dev-group');
    clock.advance(3700);
    expect(await followUpPendingRequests(deps)).toEqual({ renotified: 1, timedOut: 0, escalated: 0 });
    clock.advance(4 * 3600);
    expect(await followUpPendingRequests(deps)).toEqual({ renotified: 0, timedOut: 1, escalated: 0 });
    // Release stores the end request (one write, its event) before handing it to the worker.
    const before = store.items.get(auto)?.version ?? 0;
    await releaseGrant(deps, { requestId: auto, requester: 'UDEV2' });
    expect(store.items.get(auto)?.version).toBe(before + 1);
    expect(audit.types(auto).at(-1)).toBe('grant.end-requested');

    expect(store.mismatches).toEqual([]);
    const expectedVersions: Record<string, number> = {
      [approved]: 3,
      [auto]: 3,
      [denied]: 2,
      [cancelled]: 2,
      [glass.request.id]: 2,
      [ignored]: 3,
    };
    for (const [id, version] of Object.entries(expectedVersions)) {
      const request = store.items.get(id) as AccessRequest;
      expect(request.version, id).toBe(version);
      expect(audit.lifecycleEvents(id).length, `${id} events`).toBe(request.version);
    }
    expect(audit.types(ignored)).toEqual(['request.submitted', 'request.renotified', 'request.timed-out']);
    expectOneEventPerWrite(store, audit);
  });

  it('grant side: activate, credentials, release, revoke failure, restored membership, expiry, failed activation, drift', async () => {
    const { deps, clock, store, audit, grant } = checkedWorld();
    const g = grant.deps;
    const submit = async (requester: string, targetId: string) => {
      const r = await submitRequest(deps, {
        requester: person(requester),
        principal: requester.toLowerCase(),
        targetId,
        reason: 'work',
        ticket: 'INC-1',
      });
      if (r.outcome === 'refused') throw new Error(r.message);
      return r.request.id;
    };
    const job = { attempt: 1, maxAttempts: 3 };
    // Auto-approved group grant: activated, then released by its holder after one failed try.
    const released = await submit('UDEV2', 'sandbox');
    expect((await activateGrant(g, { requestId: released, ...job })).outcome).toBe('activated');
    await releaseGrant(deps, { requestId: released, requester: 'UDEV2' });
    grant.groups.failNext('remove', throttled());
    await expect(
      revokeGrantJob(g, { requestId: released, actor: 'UDEV2', reason: 'done', ...job }),
    ).rejects.toThrow();
    expect(
      (await revokeGrantJob(g, { requestId: released, actor: 'UDEV2', reason: 'done', ...job })).outcome,
    ).toBe('ended');
    // Role grant: two approvals, activated, credentials asked for and issued, revoked by security.
    const role = await submit('UDEV1', 'prod-role');
    await approveRequest(deps, { requestId: role, approver: person('ULEAD1') });
    await approveRequest(deps, { requestId: role, approver: person('ULEAD2') });
    expect((await activateGrant(g, { requestId: role, ...job })).outcome).toBe('activated');
    await requestCredentials(deps, { requestId: role, requester: 'UDEV1', replyTo: 'slack-view:V1' });
    expect(
      (
        await issueCredentials(g, {
          kind: 'issue-credentials',
          requestId: role,
          requester: 'UDEV1',
          replyTo: 'slack-view:V1',
        })
      ).outcome,
    ).toBe('issued');
    await listMyAccess(deps, person('UDEV1'));
    expect(
      (await revokeGrantJob(g, { requestId: role, actor: 'USEC1', reason: 'suspicious', ...job })).outcome,
    ).toBe('ended');
    // Group grant that expires and is swept.
    const expiring = await submit('UDEV1', 'dev-group');
    await approveRequest(deps, { requestId: expiring, approver: person('ULEAD1') });
    await activateGrant(g, { requestId: expiring, ...job });
    // Its membership taken away by another grant's end (the overlap race), then restored.
    grant.groups.groups.get('jit-developers')?.delete('udev1');
    expect((await restoreMembership(g, { requestId: expiring })).outcome).toBe('restored');
    expect(grant.groups.isMember('jit-developers', 'udev1')).toBe(true);
    // Activation that fails for good.
    const failing = await submit('UDEV2', 'dev-group');
    await approveRequest(deps, { requestId: failing, approver: person('ULEAD3') });
    grant.groups.failNext(
      'add',
      new AwsOperationError('iam:AddUserToGroup', 'NoSuchEntity', { transient: false }),
    );
    expect((await activateGrant(g, { requestId: failing, ...job })).outcome).toBe('failed');
    clock.advance(2 * 3600);
    expect((await sweepExpiredGrants(g, { concurrency: 2 })).ended).toBe(1);
    // Drift: a standing member nobody granted.
    grant.groups.put('jit-developers', 'mallory');
    await reconcileGroups(g, { remove: true });

    expect(
      Object.fromEntries([released, role, expiring, failing].map((id) => [id, store.items.get(id)?.status])),
    ).toEqual({
      [released]: 'REVOKED',
      [role]: 'REVOKED',
      [expiring]: 'EXPIRED',
      [failing]: 'FAILED',
    });
    const standaloneTypes = [...audit.standalone].map((e) => e.type).sort();
    expect(standaloneTypes).toEqual([
      'drift.detected',
      'drift.removed',
      'grant.membership-restored',
      'grant.revoke-failed',
      'session.issued',
    ]);
    expectOneEventPerWrite(store, audit);
  });

  it('time side: expiry warning, grace extension, scheduled start and its cancel', async () => {
    const { deps, clock, store, audit, grant } = checkedWorld(
      TEST_POLICY_YAML.replace('maxDuration: 8h }', 'maxDuration: 8h, graceExtension: { max: 30m } }'),
    );
    const submitted = await submitRequest(deps, {
      requester: person('UDEV1'),
      principal: 'udev1',
      targetId: 'dev-group',
      reason: 'work',
    });
    if (submitted.outcome === 'refused') throw new Error(submitted.message);
    const id = submitted.request.id;
    await approveRequest(deps, { requestId: id, approver: person('ULEAD1') });
    await activateGrant(grant.deps, { requestId: id, attempt: 1, maxAttempts: 3 });
    clock.advance(55 * 60);
    expect(await warnExpiringGrants(deps)).toEqual({ warned: 1 });
    const extended = await extendWithGrace(deps, {
      requestId: id,
      requester: person('UDEV1'),
      principal: 'udev1',
    });
    expect(extended.outcome).toBe('approved');
    const later = await submitRequest(deps, {
      requester: person('UDEV2'),
      principal: 'udev2',
      targetId: 'dev-group',
      reason: 'later',
      startsAt: new Date(clock.now().getTime() + 3600_000),
    });
    if (later.outcome === 'refused') throw new Error(later.message);
    await approveRequest(deps, { requestId: later.request.id, approver: person('ULEAD1') });
    await cancelRequest(deps, { requestId: later.request.id, requester: 'UDEV2' });
    expect(audit.types(id)).toContain('grant.expiry-warned');
    expect(audit.types(id)).toContain('grant.grace-extended');
    expectOneEventPerWrite(store, audit);
  });

  it('knows every use case module: a new one must be driven here or say why it writes nothing', () => {
    const modules = readdirSync(new URL('../../shared/usecases/', import.meta.url))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3));
    const unknown = modules.filter((m) => !(m in DRIVEN) && !(m in NO_REQUEST_WRITES));
    expect(unknown, 'use case modules with no audit coverage').toEqual([]);
  });

  it('a transition without its audit event does not type-check, and the DynamoDB store refuses it', async () => {
    // @ts-expect-error: `audit` is required on every transition.
    const missing: Transition = { to: 'CANCELLED', at: new Date() };
    const db = await createLocalTables();
    try {
      const store = db.requests;
      const created = await store.create(
        { ...baseRequest('req-x'), status: 'PENDING' },
        auditOf({ ...baseRequest('req-x'), status: 'PENDING' }, 'request.submitted', {
          at: new Date(),
          actor: 'UDEV1',
          to: 'PENDING',
          initial: true,
        }),
      );
      await expect(store.transition(created.request, missing)).rejects.toThrow();
      expect((await store.get('req-x'))?.status).toBe('PENDING');
      expect((await store.get('req-x'))?.version).toBe(1);
    } finally {
      await db.drop();
    }
  });
});

function baseRequest(id: string): AccessRequest {
  return {
    id,
    requester: 'UDEV1',
    principal: 'dev1',
    targetId: 'dev-group',
    targetKind: 'group',
    durationSeconds: 3600,
    reason: 'work',
    status: 'PENDING',
    version: 1,
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    approvalsRequired: 1,
    approvals: [],
    breakGlass: false,
  };
}
