import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../../shared/domain/errors.js';
import type { AccessRequest } from '../../../shared/domain/request.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();
const at = new Date('2026-11-27T09:00:00.000Z');

function request(id: string, overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id,
    requester: 'UDEV1',
    principal: 'dev1@example.com',
    targetId: 'dev-group',
    targetKind: 'group',
    durationSeconds: 3600,
    reason: 'deploy',
    status: 'PENDING',
    version: 1,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    approvalsRequired: 1,
    approvals: [],
    breakGlass: false,
    ...overrides,
  };
}

async function create(r: AccessRequest): Promise<AccessRequest> {
  const { request: stored } = await db().requests.create(
    r,
    auditOf(r, 'request.submitted', { at, actor: r.requester, to: r.status, initial: true }),
  );
  return stored;
}

async function live(id: string, endsAt: string, overrides: Partial<AccessRequest> = {}) {
  return create(request(id, { status: 'ACTIVE', startsAt: at.toISOString(), endsAt, ...overrides }));
}

describe('DynamoRequestStore on DynamoDB Local', () => {
  it('creates, reads back and audits a request', async () => {
    const r = await create(request('r1', { ticket: 'OPS-1' }));
    expect(await db().requests.get('r1')).toEqual(r);
    expect(await db().requests.get('missing')).toBeUndefined();
  });

  it('returns the first request for a retried delivery with the same idempotency key', async () => {
    const first = await db().requests.create(
      request('r1', { idempotencyKey: 'view-123' }),
      auditOf(request('r1'), 'request.submitted', { at, actor: 'UDEV1', initial: true }),
    );
    const retry = await db().requests.create(
      request('r2', { idempotencyKey: 'view-123' }),
      auditOf(request('r2'), 'request.submitted', { at, actor: 'UDEV1', initial: true }),
    );
    expect(first.created).toBe(true);
    expect(retry).toEqual({ created: false, request: first.request });
    expect(await db().requests.get('r2')).toBeUndefined();
  });

  it('moves a request on only from the state and version it was read at', async () => {
    const r = await create(request('r1'));
    const approved = await db().requests.transition(r, {
      to: 'APPROVED',
      at,
      changes: { decidedBy: 'ULEAD1' },
      audit: auditOf(r, 'request.approved', { at, actor: 'ULEAD1', to: 'APPROVED' }),
    });
    expect(approved).toMatchObject({
      ok: true,
      request: { status: 'APPROVED', version: 2, decidedBy: 'ULEAD1' },
    });
    const stale = await db().requests.transition(r, {
      to: 'DENIED',
      at,
      audit: auditOf(r, 'request.denied', { at, actor: 'ULEAD2', to: 'DENIED' }),
    });
    expect(stale).toMatchObject({
      ok: false,
      reason: 'conflict',
      current: { status: 'APPROVED', version: 2 },
    });
  });

  it('refuses an illegal transition and changes nothing, not even the audit trail', async () => {
    const expired = await create(request('r1', { status: 'EXPIRED', endsAt: at.toISOString() }));
    const headBefore = await db().audit.readHead('chain-00');
    await expect(
      db().requests.transition(expired, {
        to: 'APPROVED',
        at,
        audit: auditOf(expired, 'request.approved', { at, actor: 'ULEAD1', to: 'APPROVED' }),
      }),
    ).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(await db().requests.get('r1')).toEqual(expired);
    expect(await db().audit.readHead('chain-00')).toEqual(headBefore);
  });

  it('keeps only status-dependent index keys that match the status', async () => {
    const r = await create(request('r1'));
    const raw = async () =>
      (await db().doc.send(new GetCommand({ TableName: db().names.requests, Key: { id: 'r1' } }))).Item;
    expect(await raw()).toMatchObject({ pendingTarget: 'dev-group', pendingAll: 'PENDING' });
    const result = await db().requests.transition(r, {
      to: 'APPROVED',
      at,
      changes: { startsAt: at.toISOString(), endsAt: '2026-11-27T10:00:00.000Z' },
      audit: auditOf(r, 'request.approved', { at, actor: 'ULEAD1', to: 'APPROVED' }),
    });
    expect(result.ok).toBe(true);
    const item = await raw();
    expect(item).toMatchObject({ liveAll: 'LIVE', liveKey: 'dev1@example.com#dev-group' });
    expect(item).not.toHaveProperty('pendingTarget');
    expect(await db().requests.get('r1')).not.toHaveProperty('liveKey');
  });

  it('lists live grants ending before T, exactly, across pages', async () => {
    const ends = Array.from({ length: 23 }, (_, i) =>
      new Date(at.getTime() + (i + 1) * 60_000).toISOString(),
    );
    for (const [i, endsAt] of ends.entries()) await live(`g${String(i).padStart(2, '0')}`, endsAt);
    await create(request('pending-one'));
    await create(request('done', { status: 'EXPIRED', endsAt: ends[0] }));
    const cutoff = new Date(ends[16] as string); // inclusive: 17 grants end at or before it
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await db().requests.listLiveEndingBefore(
        cutoff,
        cursor ? { limit: 5, cursor } : { limit: 5 },
      );
      seen.push(...page.items.map((g) => g.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 17 }, (_, i) => `g${String(i).padStart(2, '0')}`));
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it("lists a person's requests newest first, a target's pending requests, and live grants per person and target", async () => {
    for (let i = 0; i < 4; i++) {
      await create(request(`p${i}`, { createdAt: new Date(at.getTime() + i * 1000).toISOString() }));
    }
    await create(request('other', { requester: 'UDEV2', targetId: 'prod-role' }));
    await live('a', '2026-11-27T10:00:00.000Z');
    await live('b', '2026-11-27T11:00:00.000Z');
    await live('c', '2026-11-27T11:00:00.000Z', { principal: 'someone@example.com' });
    const mine = await db().requests.listByRequester('UDEV1', { limit: 3 });
    expect(mine.items.map((r) => r.id)).toEqual(['p3', 'p2', 'p1']);
    expect(mine.cursor).toBeDefined();
    const pending = await db().requests.listPendingByTarget('dev-group');
    expect(pending.items.map((r) => r.id)).toEqual(['p0', 'p1', 'p2', 'p3']);
    const overlap = await db().requests.listLiveFor('dev1@example.com', 'dev-group');
    expect(overlap.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('rejects a cursor that is not one', async () => {
    await expect(db().requests.listPending({ cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
  });
});
