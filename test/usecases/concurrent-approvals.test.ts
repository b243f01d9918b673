import { describe, expect, it } from 'vitest';
import { AlreadyDecidedError } from '../../shared/domain/errors.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
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

const approvers = Array.from({ length: 20 }, (_, i) => `UAPPROVER${String(i).padStart(2, '0')}`);
const policy = parsePolicy(`
version: 1
people:
  devs: { users: [UDEV1] }
  approvers: { users: [${approvers.join(', ')}] }
targets:
  - { id: one, kind: group, groupName: g1, description: One approval, requesters: [devs], approvers: [approvers], defaultDuration: 1h, maxDuration: 2h }
  - { id: three, kind: group, groupName: g3, description: Three approvals, requesters: [devs], approvers: [approvers], approvalsRequired: 3, defaultDuration: 1h, maxDuration: 2h }
`);

const db = useLocalTables();

function deps(): RequestDeps & { queue: RecordingQueue } {
  return {
    store: db().requests,
    audit: db().audit,
    policy: staticPolicy(policy),
    clock: new ManualClock(),
    ids: new SequentialIds(),
    events: new RecordingPublisher(),
    queue: new RecordingQueue(),
    logger: silentLogger,
  };
}

async function submit(d: RequestDeps, targetId: string) {
  const result = await submitRequest(d, {
    requester: person('UDEV1'),
    principal: 'dev1@example.com',
    targetId,
    reason: 'release',
  });
  if (result.outcome === 'refused') throw new Error(result.message);
  return result.request;
}

describe('concurrent approvals on DynamoDB Local', () => {
  it('20 approvers at once give exactly one APPROVED transition and one hand-off', async () => {
    const d = deps();
    const request = await submit(d, 'one');
    const results = await Promise.allSettled(
      approvers.map((userId) => approveRequest(d, { requestId: request.id, approver: person(userId) })),
    );
    const approved = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'approved');
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(approved).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect(loser.reason).toBeInstanceOf(AlreadyDecidedError);
    const stored = await db().requests.get(request.id);
    expect(stored).toMatchObject({ status: 'APPROVED', version: 2 });
    expect(stored?.approvals).toHaveLength(1);
    expect(d.queue.jobs).toEqual([{ kind: 'activate', requestId: request.id }]);
  });

  it('20 clicks by the same approver count once', async () => {
    const d = deps();
    const request = await submit(d, 'three');
    const approver = person('UAPPROVER00');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => approveRequest(d, { requestId: request.id, approver })),
    );
    const recorded = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'recorded');
    expect(recorded).toHaveLength(1);
    const stored = await db().requests.get(request.id);
    expect(stored).toMatchObject({ status: 'PENDING', version: 2 });
    expect(stored?.approvals.map((a) => a.approver)).toEqual(['UAPPROVER00']);
  });

  it('M-of-N with concurrent distinct approvers approves once, with exactly M approvals', async () => {
    const d = deps();
    const request = await submit(d, 'three');
    await Promise.allSettled(
      approvers
        .slice(0, 8)
        .map((userId) => approveRequest(d, { requestId: request.id, approver: person(userId) })),
    );
    const stored = await db().requests.get(request.id);
    expect(stored?.status).toBe('APPROVED');
    expect(new Set(stored?.approvals.map((a) => a.approver)).size).toBe(3);
    expect(stored?.approvals).toHaveLength(3);
    expect(d.queue.jobs).toHaveLength(1);
  });
});
