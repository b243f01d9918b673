import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemToAuditEvent } from '../../shared/adapters/dynamodb/audit-log.js';
import { AUDIT_INDEX } from '../../shared/adapters/dynamodb/tables.js';
import type { AuditEvent } from '../../shared/domain/audit.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import { approveRequest, denyRequest } from '../../shared/usecases/approve-request.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { followUpPendingRequests } from '../../shared/usecases/follow-up-pending.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import {
  ManualClock,
  person,
  RecordingPublisher,
  RecordingQueue,
  SequentialIds,
  silentLogger,
  staticPolicy,
} from '../support/fakes.js';
import { useLocalTables } from '../support/local-dynamo.js';

/**
 * Approval stages and escalation through the use cases on DynamoDB Local with the manual
 * clock: stages are decided in order, each by its own people, and a stage that has not
 * decided in time is escalated to the backup approvers exactly once.
 */

const policy = parsePolicy(`
version: 1
people:
  devs: { users: [UDEV1, ULEAD1] }
  leads: { users: [ULEAD1, ULEAD2] }
  security: { users: [USEC1, USEC2] }
  backup: { users: [UBACKUP1] }
renotifyAfter: 1h
approvalTimeout: 4h
targets:
  - id: prod-db
    kind: group
    groupName: jit-prod-db
    description: Production database
    requesters: [devs]
    stages:
      - { name: team leads, approvers: [leads], required: 1 }
      - { name: security, approvers: [security, leads], required: 1 }
    escalation: { after: 30m, to: [backup] }
    defaultDuration: 1h
    maxDuration: 2h
`);

const db = useLocalTables();

function deps(): RequestDeps & { queue: RecordingQueue; events: RecordingPublisher; clock: ManualClock } {
  return {
    store: db().requests,
    audit: db().audit,
    policy: staticPolicy(policy),
    clock: new ManualClock(),
    ids: new SequentialIds('stage-'),
    events: new RecordingPublisher(),
    queue: new RecordingQueue(),
    logger: silentLogger,
  };
}

async function submit(d: RequestDeps, requester = 'UDEV1') {
  const result = await submitRequest(d, {
    requester: person(requester),
    principal: `${requester.toLowerCase()}@example.com`,
    targetId: 'prod-db',
    reason: 'schema migration',
  });
  if (result.outcome !== 'pending') throw new Error(`not pending: ${result.outcome}`);
  return result.request;
}

async function auditOf(requestId: string): Promise<AuditEvent[]> {
  const { Items = [] } = await db().doc.send(
    new QueryCommand({
      TableName: db().names.audit,
      IndexName: AUDIT_INDEX.byRequest,
      KeyConditionExpression: 'requestId = :id',
      ExpressionAttributeValues: { ':id': requestId },
    }),
  );
  return Items.map(itemToAuditEvent).sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
}

describe('approval stages on DynamoDB Local', () => {
  it('a two-stage request needs both stages, in order, by different people', async () => {
    const d = deps();
    const request = await submit(d);

    const first = await approveRequest(d, { requestId: request.id, approver: person('ULEAD1') });
    expect(first).toMatchObject({ outcome: 'recorded', stage: 1, stages: 2, stageComplete: true });
    expect(await db().requests.get(request.id)).toMatchObject({ status: 'PENDING', stage: 1 });
    // The second stage's approvers are asked once the first stage is done.
    expect(d.events.kinds()).toEqual(['approval-needed', 'approval-recorded', 'approval-needed']);

    // Why refused: a lead may approve stage 2 by the policy, but not after approving stage 1.
    const twice = await approveRequest(d, { requestId: request.id, approver: person('ULEAD1') });
    expect(twice).toMatchObject({ outcome: 'refused', reason: 'approved-another-stage' });

    const second = await approveRequest(d, { requestId: request.id, approver: person('USEC1') });
    expect(second.outcome).toBe('approved');
    const stored = await db().requests.get(request.id);
    expect(stored).toMatchObject({ status: 'APPROVED', version: 3 });
    expect(stored?.approvals.map((a) => [a.approver, a.stage])).toEqual([
      ['ULEAD1', 0],
      ['USEC1', 1],
    ]);
    expect(d.queue.jobs).toEqual([{ kind: 'activate', requestId: request.id }]);

    const trail = await auditOf(request.id);
    expect(trail.map((e) => [e.type, e.detail?.['stage']])).toEqual([
      ['request.submitted', undefined],
      ['request.approval-recorded', 1],
      ['request.approved', 2],
    ]);
  });

  it('a stage-2 approver cannot approve in stage 1', async () => {
    const d = deps();
    const request = await submit(d);
    const early = await approveRequest(d, { requestId: request.id, approver: person('USEC1') });
    expect(early).toMatchObject({ outcome: 'refused', reason: 'not-this-stage' });
    expect(await db().requests.get(request.id)).toMatchObject({
      status: 'PENDING',
      version: 1,
      approvals: [],
    });
  });

  it('self-approval is refused in every stage', async () => {
    const d = deps();
    const request = await submit(d, 'ULEAD1');
    const own = await approveRequest(d, { requestId: request.id, approver: person('ULEAD1') });
    expect(own).toMatchObject({ outcome: 'refused', reason: 'self-approval' });
    await approveRequest(d, { requestId: request.id, approver: person('ULEAD2') });
    const ownLater = await approveRequest(d, { requestId: request.id, approver: person('ULEAD1') });
    expect(ownLater).toMatchObject({ outcome: 'refused', reason: 'self-approval' });
  });

  it('a denial by an approver of the current stage denies; one of a later stage may not deny yet', async () => {
    const d = deps();
    const request = await submit(d);
    const early = await denyRequest(d, { requestId: request.id, approver: person('USEC1'), reason: 'no' });
    expect(early).toMatchObject({ outcome: 'refused', reason: 'not-an-approver' });
    await approveRequest(d, { requestId: request.id, approver: person('ULEAD2') });
    const denied = await denyRequest(d, {
      requestId: request.id,
      approver: person('USEC1'),
      reason: 'not now',
    });
    expect(denied.outcome).toBe('denied');
  });

  it('escalation fires once per stage, after the stage has waited its time', async () => {
    const d = deps();
    const request = await submit(d);
    d.clock.advance(29 * 60);
    expect((await followUpPendingRequests(d)).escalated).toBe(0);
    d.clock.advance(60);
    expect((await followUpPendingRequests(d)).escalated).toBe(1);
    d.clock.advance(60);
    expect((await followUpPendingRequests(d)).escalated).toBe(0);
    const escalations = d.events.sent.filter((e) => e.kind === 'approval-escalated');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toMatchObject({ to: ['backup'] });
    expect(await db().requests.get(request.id)).toMatchObject({ escalatedStage: 0 });

    // The backup approver may now decide stage 1; stage 2 gets its own clock and escalation.
    const backup = await approveRequest(d, { requestId: request.id, approver: person('UBACKUP1') });
    expect(backup).toMatchObject({ outcome: 'recorded', stageComplete: true });
    d.clock.advance(29 * 60);
    expect((await followUpPendingRequests(d)).escalated).toBe(0);
    d.clock.advance(60);
    expect((await followUpPendingRequests(d)).escalated).toBe(1);
    expect((await followUpPendingRequests(d)).escalated).toBe(0);

    const trail = await auditOf(request.id);
    const escalated = trail.filter((e) => e.type === 'request.escalated');
    expect(escalated.map((e) => e.detail)).toEqual([
      { stage: 1, to: 'backup' },
      { stage: 2, to: 'backup' },
    ]);
  });

  it('two sweepers at once escalate once', async () => {
    const d = deps();
    await submit(d);
    d.clock.advance(30 * 60);
    const runs = await Promise.all([followUpPendingRequests(d), followUpPendingRequests(d)]);
    expect(runs.map((r) => r.escalated).reduce((a, b) => a + b, 0)).toBe(1);
    expect(d.events.sent.filter((e) => e.kind === 'approval-escalated')).toHaveLength(1);
  });
});
