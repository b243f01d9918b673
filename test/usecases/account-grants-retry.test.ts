import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemToAuditEvent } from '../../shared/adapters/dynamodb/audit-log.js';
import { AUDIT_INDEX } from '../../shared/adapters/dynamodb/tables.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { RequestStore } from '../../shared/domain/ports.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { resendStalledActivations } from '../../shared/usecases/resend-stalled-activations.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import {
  ManualClock,
  person,
  RecordingPublisher,
  RecordingQueue,
  SequentialIds,
  staticPolicy,
  TEST_POLICY_YAML,
} from '../support/fakes.js';
import { useLocalTables } from '../support/local-dynamo.js';

/**
 * A request over several accounts makes one grant per account under one approval. When the
 * grant of one account cannot be written (a throttled DynamoDB write, injected for that account
 * only), the approval still goes through for the others, the miss is logged, and the sweeper's
 * hand-off pass creates the missing grant: retried and visible, never silently missing.
 */
const db = useLocalTables();

const PROD = '111111111111';
const STAGING = '222222222222';
const QA = '333333333333';
const POLICY = parsePolicy(
  `${TEST_POLICY_YAML}  - { id: ps-admin, kind: permission-set, instanceArn: "arn:aws:sso:::instance/ssoins-1111222233334444", identityStoreId: d-1234567890, permissionSet: AdminAccess, accounts: ["${PROD}", "${STAGING}", "${QA}"], description: Admin, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h }
`,
  'account-grants-policy',
);

/** Fails every write of the grant of `account` while `failing.on` (a throttled write, as DynamoDB answers it). */
function failingFor(store: RequestStore, account: string, failing: { on: boolean }): RequestStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'create') {
        return (...args: Parameters<RequestStore['create']>) => {
          if (failing.on && args[0].account === account && args[0].id.endsWith(`-${account}`)) {
            const error = new Error('Rate of requests exceeds the allowed throughput.');
            error.name = 'ProvisionedThroughputExceededException';
            return Promise.reject(error);
          }
          return target.create(...args);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The audit events of one grant, in order. */
async function auditOf(requestId: string) {
  const { Items = [] } = await db().doc.send(
    new QueryCommand({
      TableName: db().names.audit,
      IndexName: AUDIT_INDEX.byRequest,
      KeyConditionExpression: 'requestId = :id',
      ExpressionAttributeValues: { ':id': requestId },
    }),
  );
  return Items.map(itemToAuditEvent);
}

describe('a multi-account approval when one account’s grant cannot be written', () => {
  it('approves the others, logs the miss, and the sweeper creates the missing grant', async () => {
    const failing = { on: true };
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const clock = new ManualClock('2026-11-27T09:00:00.000Z');
    const queue = new RecordingQueue();
    const deps: RequestDeps = {
      store: failingFor(db().requests, STAGING, failing),
      audit: db().audit,
      policy: staticPolicy(POLICY),
      clock,
      ids: new SequentialIds(),
      events: new RecordingPublisher(),
      queue,
      logger: {
        info: () => undefined,
        warn: (message, fields) => void warnings.push({ message, ...(fields ? { fields } : {}) }),
      },
    };
    const submitted = await submitRequest(deps, {
      requester: person('UDEV1'),
      principal: 'dev1@example.com',
      targetId: 'ps-admin',
      reason: 'incident',
      accounts: [PROD, STAGING, QA],
    });
    expect(submitted.outcome).toBe('pending');

    const approved = await approveRequest(deps, { requestId: 'req-0001', approver: person('ULEAD1') });
    expect(approved.outcome).toBe('approved');
    expect(await db().requests.get('req-0001')).toMatchObject({ status: 'APPROVED', account: PROD });
    expect(await db().requests.get(`req-0001-${QA}`)).toMatchObject({ status: 'APPROVED', account: QA });
    expect(await db().requests.get(`req-0001-${STAGING}`)).toBeUndefined();
    expect(queue.jobs.map((j) => j.requestId).sort()).toEqual(['req-0001', `req-0001-${QA}`]);
    expect(warnings).toContainEqual({
      message: 'account grant not created; the sweeper creates it again',
      fields: expect.objectContaining({ requestId: 'req-0001', account: STAGING }),
    });

    // Still failing: the sweep tries, says so, and creates nothing.
    clock.advance(60);
    expect((await resendStalledActivations(deps)).accountGrants).toBe(0);
    expect(warnings.at(-1)?.message).toBe('account grant still not created; tried again next sweep');

    // The fault clears: the next sweep creates the missing grant and hands it to the worker.
    failing.on = false;
    clock.advance(60);
    queue.jobs.length = 0;
    expect((await resendStalledActivations(deps)).accountGrants).toBe(1);
    const late = await db().requests.get(`req-0001-${STAGING}`);
    expect(late).toMatchObject({
      status: 'APPROVED',
      account: STAGING,
      requestGroup: 'req-0001',
      endsAt: (await db().requests.get('req-0001'))?.endsAt,
    });
    expect(queue.jobs).toContainEqual({ kind: 'activate', requestId: `req-0001-${STAGING}` });
    const events = await auditOf(`req-0001-${STAGING}`);
    expect(events.map((e) => [e.type, e.detail?.createdLate])).toEqual([['request.approved', true]]);

    // Nothing more to do: a further sweep creates nothing twice.
    clock.advance(60);
    expect((await resendStalledActivations(deps)).accountGrants).toBe(0);
  });
});
