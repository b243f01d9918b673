import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { approveRequest } from '../../../shared/usecases/approve-request.js';
import { activateGrant } from '../../../shared/usecases/activate-grant.js';
import { issueCredentials } from '../../../shared/usecases/issue-credentials.js';
import { revokeGrantJob } from '../../../shared/usecases/revoke-grant.js';
import { breakGlass, reviewBreakGlass } from '../../../shared/usecases/break-glass.js';
import type { RequestDeps } from '../../../shared/usecases/deps.js';
import { queryAudit, exportAudit } from '../../../shared/usecases/query-audit.js';
import { submitRequest } from '../../../shared/usecases/submit-request.js';
import { verifyAudit } from '../../../shared/usecases/verify-audit.js';
import {
  ManualClock,
  RecordingPublisher,
  RecordingQueue,
  SequentialIds,
  TEST_POLICY_YAML,
  person,
  silentLogger,
  staticPolicy,
} from '../../support/fakes.js';
import { grantWorld } from '../../support/fake-aws.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

function world() {
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');
  const deps: RequestDeps = {
    store: db().requests,
    audit: db().audit,
    policy: staticPolicy(parsePolicy(TEST_POLICY_YAML, 'test')),
    clock,
    ids: new SequentialIds(),
    events: new RecordingPublisher(),
    queue: new RecordingQueue(),
    logger: silentLogger,
  };
  const reader = new DynamoAuditQuery(db().doc, db().names.audit);
  const grant = grantWorld({ store: db().requests, audit: db().audit, clock });
  return { clock, deps, reader, auditDeps: { reader, clock }, grant };
}

describe('audit trail of a full request lifecycle (DynamoDB Local)', () => {
  it('records every step in order, with who, what, from/to state, approvers and AWS request id', async () => {
    const { clock, deps, auditDeps, grant } = world();
    const submitted = await submitRequest(deps, {
      requester: person('UDEV1'),
      principal: 'dev1',
      targetId: 'prod-role',
      reason: 'hotfix',
      ticket: 'INC-42',
    });
    if (submitted.outcome === 'refused') throw new Error(submitted.message);
    const id = submitted.request.id;
    clock.advance(60);
    await approveRequest(deps, { requestId: id, approver: person('ULEAD1') });
    clock.advance(60);
    const approved = await approveRequest(deps, { requestId: id, approver: person('ULEAD2') });
    if (approved.outcome !== 'approved') throw new Error('not approved');
    clock.advance(5);
    const job = { requestId: id, attempt: 1, maxAttempts: 3 };
    expect((await activateGrant(grant.deps, job)).outcome).toBe('activated');
    clock.advance(60);
    const issued = await issueCredentials(grant.deps, {
      kind: 'issue-credentials',
      requestId: id,
      requester: 'UDEV1',
      replyTo: 'slack-view:V1',
    });
    expect(issued.outcome).toBe('issued');
    clock.advance(600);
    expect((await revokeGrantJob(grant.deps, { ...job, actor: 'USEC1', reason: 'suspicious' })).outcome).toBe(
      'ended',
    );

    const page = await queryAudit(auditDeps, { requestId: id, limit: 100 });
    const oldestFirst = [...page.items].reverse();
    expect(
      oldestFirst.map((e) => [
        e.type,
        e.actor,
        e.fromStatus ?? null,
        e.toStatus ?? null,
        e.awsRequestId ?? null,
      ]),
    ).toEqual([
      ['request.submitted', 'UDEV1', null, 'PENDING', null],
      ['request.approval-recorded', 'ULEAD1', 'PENDING', 'PENDING', null],
      ['request.approved', 'ULEAD2', 'PENDING', 'APPROVED', null],
      ['grant.activated', 'system:grant-worker', 'APPROVED', 'ACTIVE', null],
      ['session.issued', 'UDEV1', 'ACTIVE', null, 'sts-1'],
      // The revoke is stored on the grant before IAM is asked (so a failing job cannot drop it).
      ['grant.end-requested', 'USEC1', 'ACTIVE', null, null],
      ['grant.revoked', 'USEC1', 'ACTIVE', 'REVOKED', 'deny-1'],
    ]);
    expect(oldestFirst.map((e) => e.at)).toEqual([...oldestFirst.map((e) => e.at)].sort());
    for (const e of oldestFirst) {
      expect(e).toMatchObject({ subject: 'UDEV1', principal: 'dev1', targetId: 'prod-role', requestId: id });
      expect(e).toMatchObject({ ticket: 'INC-42', breakGlass: false });
    }
    expect(oldestFirst.map((e) => e.reason)).toEqual([
      ...Array(5).fill('hotfix'),
      'suspicious',
      'suspicious',
    ]);
    expect(oldestFirst[2]?.approvers).toEqual(['ULEAD1', 'ULEAD2']);
    // One chain per request: the request's events are consecutive links.
    expect(new Set(oldestFirst.map((e) => e.chain)).size).toBe(1);
    expect(oldestFirst.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Never a credential: no field looks like an access key or session token.
    expect(JSON.stringify(page.items)).not.toMatch(
      /ASIAFAKE|fake-secret|fake-token|sessionToken|secretAccessKey/i,
    );

    expect(await verifyAudit({ chains: auditDeps.reader, clock })).toMatchObject({ ok: true, breaks: [] });
  });

  it('flags break-glass events and finds them through the break-glass index, review included', async () => {
    const { clock, deps, auditDeps } = world();
    const granted = await breakGlass(deps, {
      requester: person('UONCALL1'),
      principal: 'oncall1',
      targetId: 'prod-role',
      reason: 'outage',
      ticket: 'INC-1',
    });
    if (granted.outcome !== 'granted') throw new Error(granted.message);
    await submitRequest(deps, {
      requester: person('UDEV1'),
      principal: 'dev1',
      targetId: 'dev-group',
      reason: 'x',
    });
    clock.advance(600);
    await reviewBreakGlass(deps, { requestId: granted.request.id, reviewer: person('USEC1'), note: 'ok' });

    const events = [];
    for await (const e of exportAudit(auditDeps, { breakGlass: true })) events.push(e);
    expect(events.map((e) => [e.type, e.actor, e.breakGlass])).toEqual([
      ['break-glass.reviewed', 'USEC1', true],
      ['break-glass.activated', 'UONCALL1', true],
    ]);
  });
});
