import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  createGrantWorkerHandler,
  DEFAULT_SAFETY_MARGIN_MS,
  retryDelaySeconds,
} from '../../../functions/grant-worker/handler.js';
import { DEFAULT_AWS_DEADLINES } from '../../../shared/adapters/aws/clients.js';
import { grantRecord, grantWorld, throttled } from '../../support/fake-aws.js';
import type { InMemoryAuditLog } from '../../support/fakes.js';

const START = '2026-11-27T09:00:00.000Z';
const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function record(id: string, body: unknown, receiveCount = 1): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:grant-jobs',
    awsRegion: 'us-east-1',
  };
}

async function worker(maxAttempts = 3) {
  const w = grantWorld();
  for (const id of ['req-1', 'req-2']) {
    const grant = grantRecord({
      id,
      principal: id === 'req-1' ? 'alice' : 'bob',
      startsAt: START,
      endsAt: '2026-11-27T10:00:00.000Z',
    });
    await w.store.create(grant, {
      type: 'request.approved',
      at: START,
      actor: 'x',
      subject: 'UDEV1',
      targetId: 'dev-group',
      requestId: id,
      breakGlass: false,
    });
  }
  const delays: [string, number][] = [];
  const handler = createGrantWorkerHandler({
    deps: w.deps,
    maxAttempts,
    logger,
    retry: { delay: async (rh, s) => void delays.push([rh, s]) },
  });
  return { ...w, handler, delays };
}

describe('grant worker handler', () => {
  it('runs each job and reports only the failed ones as batch item failures, with backoff', async () => {
    const w = await worker();
    w.groups.failWhile = (op, _g, user) =>
      op === 'add' && user === 'bob' ? throttled('iam:AddUserToGroup') : undefined;
    const event: SQSEvent = {
      Records: [
        record('m1', { kind: 'activate', requestId: 'req-1' }),
        record('m2', { kind: 'activate', requestId: 'req-2' }, 2),
        record('m3', 'not json'),
        record('m4', { kind: 'activate', requestId: 'missing' }),
      ],
    };
    const response = await w.handler(event);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]);
    expect(w.delays).toEqual([['rh-m2', 60]]);
    expect((await w.store.get('req-1'))?.status).toBe('ACTIVE');
    expect((await w.store.get('req-2'))?.status).toBe('APPROVED');
  });

  it('gives up on the last attempt: the grant becomes FAILED and the job is done', async () => {
    const w = await worker(3);
    w.groups.failWhile = (op) => (op === 'add' ? throttled('iam:AddUserToGroup') : undefined);
    const response = await w.handler({
      Records: [record('m1', { kind: 'activate', requestId: 'req-1' }, 3)],
    });
    expect(response.batchItemFailures).toEqual([]);
    expect((await w.store.get('req-1'))?.status).toBe('FAILED');
    expect(w.metrics.get('GrantFailures')).toBe(1);
  });

  it('dispatches revoke and issue-credentials jobs', async () => {
    const w = await worker();
    await w.handler({ Records: [record('m1', { kind: 'activate', requestId: 'req-1' })] });
    const response = await w.handler({
      Records: [
        record('m2', {
          kind: 'issue-credentials',
          requestId: 'req-1',
          requester: 'UDEV1',
          replyTo: 'slack-view:V1',
        }),
        record('m3', { kind: 'revoke', requestId: 'req-1', actor: 'UDEV1', reason: 'done' }),
      ],
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(w.delivery.failures[0]?.message).toMatch(/group membership/);
    expect((await w.store.get('req-1'))?.status).toBe('REVOKED');
  });

  it('restores a membership the sweeper handed over, retrying on a transient failure', async () => {
    const w = await worker();
    await w.handler({ Records: [record('m1', { kind: 'activate', requestId: 'req-1' })] });
    w.groups.groups.get('jit-developers')?.delete('alice'); // taken away by an overlapping grant's end
    w.groups.failNext('add', throttled('iam:AddUserToGroup'));
    const job = { kind: 'restore-membership', requestId: 'req-1' };

    const first = await w.handler({ Records: [record('m2', job)] });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect(w.delays).toEqual([['rh-m2', 30]]);
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(false);

    const second = await w.handler({ Records: [record('m2', job, 2)] });
    expect(second.batchItemFailures).toEqual([]);
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(true);
    expect((w.audit as InMemoryAuditLog).types('req-1').at(-1)).toBe('grant.membership-restored');
  });

  it('does nothing for a restore-membership job of a grant that is no longer live', async () => {
    const w = await worker();
    await w.handler({ Records: [record('m1', { kind: 'activate', requestId: 'req-1' })] });
    await w.handler({
      Records: [record('m2', { kind: 'revoke', requestId: 'req-1', actor: 'USEC1', reason: 'r' })],
    });
    const calls = w.groups.calls.length;
    const response = await w.handler({
      Records: [record('m3', { kind: 'restore-membership', requestId: 'req-1' })],
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(w.groups.calls.slice(calls)).toEqual([]);
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(false);
  });

  it('hands back the records it has no time left to start, without running or delaying them', async () => {
    const w = await worker();
    // 20 s left before the first record, 5 s (under the 8 s margin) before the second.
    const remaining = [20_000, 5_000];
    const context = { getRemainingTimeInMillis: () => remaining.shift() ?? 0 };
    const response = await w.handler(
      {
        Records: [
          record('m1', { kind: 'activate', requestId: 'req-1' }),
          record('m2', { kind: 'activate', requestId: 'req-2' }),
          record('m3', 'not json'),
        ],
      },
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]);
    expect((await w.store.get('req-1'))?.status).toBe('ACTIVE');
    expect((await w.store.get('req-2'))?.status).toBe('APPROVED');
    expect(w.groups.isMember('jit-developers', 'bob')).toBe(false);
    expect(w.delays).toEqual([]);
  });

  it('runs the whole batch while the time left stays above the margin', async () => {
    const w = await worker();
    const response = await w.handler(
      {
        Records: [
          record('m1', { kind: 'activate', requestId: 'req-1' }),
          record('m2', { kind: 'activate', requestId: 'req-2' }),
        ],
      },
      { getRemainingTimeInMillis: () => DEFAULT_SAFETY_MARGIN_MS + 1 },
    );
    expect(response.batchItemFailures).toEqual([]);
    expect((await w.store.get('req-2'))?.status).toBe('ACTIVE');
  });

  it('starts no record that could not survive one hung AWS call before the invocation times out', async () => {
    const w = await worker();
    // More than 8 s (the old margin), less than one call's deadline plus the job's writes.
    const left = DEFAULT_AWS_DEADLINES.callMs + 1_000;
    const response = await w.handler(
      { Records: [record('m1', { kind: 'activate', requestId: 'req-1' })] },
      { getRemainingTimeInMillis: () => left },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect((await w.store.get('req-1'))?.status).toBe('APPROVED');
  });

  it.each([
    { attempt: 1, seconds: 30 },
    { attempt: 3, seconds: 120 },
    { attempt: 20, seconds: 900 },
  ])('waits $seconds s before attempt $attempt + 1', ({ attempt, seconds }) => {
    expect(retryDelaySeconds(attempt)).toBe(seconds);
  });
});
