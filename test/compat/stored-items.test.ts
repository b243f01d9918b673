/**
 * Upgrades lose nothing: items written by an earlier release still load, transition and
 * verify with this release's code.
 *
 * `test/fixtures/stored-items/<release>.json` holds both tables as a release left them (raw
 * DynamoDB items, exactly as stored) after the scenario below: an active role grant, an
 * active group grant, a pending request, an unreviewed break-glass grant and a released one.
 * Every fixture is loaded into fresh DynamoDB Local tables and driven through today's use
 * cases. Write the fixture of a release before changing any stored shape:
 *
 *   WRITE_STORED_ITEM_FIXTURE=0.2.0 npx vitest run test/compat/stored-items.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BatchWriteItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { ITEM_SCHEMA_VERSION, ItemSchemaError } from '../../shared/adapters/dynamodb/item-schema.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import { breakGlass, reviewBreakGlass } from '../../shared/usecases/break-glass.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { releaseGrant } from '../../shared/usecases/release-grant.js';
import { revokeGrantJob } from '../../shared/usecases/revoke-grant.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { sweepExpiredGrants } from '../../shared/usecases/sweep-expired-grants.js';
import { verifyAudit } from '../../shared/usecases/verify-audit.js';
import { grantWorld } from '../support/fake-aws.js';
import {
  ManualClock,
  RecordingPublisher,
  RecordingQueue,
  SequentialIds,
  TEST_POLICY_YAML,
  person,
  silentLogger,
  staticPolicy,
} from '../support/fakes.js';
import { useLocalTables, type LocalTables } from '../support/local-dynamo.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/stored-items/', import.meta.url));
type RawItem = Record<string, AttributeValue>;

/** A release's tables as stored, and the scenario's request ids by role. */
interface StoredItemsFixture {
  readonly release: string;
  /** The scenario clock when the fixture was taken (the test goes on from there). */
  readonly at: string;
  readonly ids: Record<'activeRole' | 'activeGroup' | 'pending' | 'breakGlass' | 'released', string>;
  readonly requests: readonly RawItem[];
  readonly audit: readonly RawItem[];
}

const db = useLocalTables();

function world(at: string, ids = new SequentialIds()) {
  const clock = new ManualClock(at);
  const deps: RequestDeps = {
    store: db().requests,
    audit: db().audit,
    policy: staticPolicy(parsePolicy(TEST_POLICY_YAML, 'test')),
    clock,
    ids,
    events: new RecordingPublisher(),
    queue: new RecordingQueue(),
    logger: silentLogger,
  };
  const grant = grantWorld({ store: db().requests, audit: db().audit, clock });
  return { clock, deps, grant, reader: new DynamoAuditQuery(db().doc, db().names.audit) };
}

async function scanAll(tables: LocalTables, table: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let start: RawItem | undefined;
  do {
    const page = await tables.client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function putAll(tables: LocalTables, table: string, items: readonly RawItem[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    const { UnprocessedItems } = await tables.client.send(
      new BatchWriteItemCommand({ RequestItems: { [table]: batch } }),
    );
    expect(UnprocessedItems?.[table] ?? []).toEqual([]);
  }
}

/** The scenario every fixture records (see the file comment). */
async function playScenario(): Promise<StoredItemsFixture['ids'] & { at: string }> {
  const { clock, deps, grant } = world('2026-03-01T09:00:00.000Z');
  const submit = async (requester: string, principal: string, targetId: string, ticket?: string) => {
    const submitted = await submitRequest(deps, {
      requester: person(requester),
      principal,
      targetId,
      reason: 'compat',
      ...(ticket ? { ticket } : {}),
    });
    if (submitted.outcome === 'refused') throw new Error(submitted.message);
    return submitted.request.id;
  };
  const activate = async (requestId: string) => {
    const outcome = await activateGrant(grant.deps, { requestId, attempt: 1, maxAttempts: 3 });
    expect(outcome.outcome).toBe('activated');
  };

  const activeRole = await submit('UDEV1', 'dev1', 'prod-role', 'INC-1');
  await approveRequest(deps, { requestId: activeRole, approver: person('ULEAD1') });
  await approveRequest(deps, { requestId: activeRole, approver: person('ULEAD2') });
  await activate(activeRole);

  const activeGroup = await submit('UDEV2', 'dev2', 'dev-group');
  await approveRequest(deps, { requestId: activeGroup, approver: person('ULEAD1') });
  await activate(activeGroup);

  const pending = await submit('UDEV1', 'dev1', 'dev-group');

  const glass = await breakGlass(deps, {
    requester: person('UONCALL1'),
    principal: 'oncall1',
    targetId: 'prod-role',
    reason: 'outage',
  });
  if (glass.outcome === 'refused') throw new Error(glass.message);
  await activate(glass.request.id);

  const released = await submit('UDEV2', 'dev2', 'sandbox');
  await activate(released);
  clock.advance(60);
  await releaseGrant(deps, { requestId: released, requester: 'UDEV2' });
  await revokeGrantJob(grant.deps, {
    requestId: released,
    attempt: 1,
    maxAttempts: 3,
    actor: 'UDEV2',
    reason: 'released by the requester',
  });
  clock.advance(60);
  return {
    activeRole,
    activeGroup,
    pending,
    breakGlass: glass.request.id,
    released,
    at: clock.now().toISOString(),
  };
}

const release = process.env.WRITE_STORED_ITEM_FIXTURE;
describe.runIf(release !== undefined)('the stored-items fixture of this release', () => {
  it(`is written to test/fixtures/stored-items/${release ?? ''}.json`, async () => {
    const { at, ...ids } = await playScenario();
    const fixture: StoredItemsFixture = {
      release: release ?? '',
      at,
      ids,
      requests: await scanAll(db(), db().names.requests),
      audit: await scanAll(db(), db().names.audit),
    };
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(`${FIXTURES}${release}.json`, `${JSON.stringify(fixture, null, 2)}\n`);
  });
});

const fixtures = (existsSync(FIXTURES) ? readdirSync(FIXTURES) : [])
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as StoredItemsFixture);

describe('items written by an earlier release', () => {
  it('has at least one release to check', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  // Each test loads two tables and replays a lifecycle: generous for a loaded CI machine.
  describe.each(fixtures.map((f) => [f.release, f] as const))(
    'release %s',
    { timeout: 120_000 },
    (_, fixture) => {
      async function loaded() {
        await putAll(db(), db().names.requests, fixture.requests);
        await putAll(db(), db().names.audit, fixture.audit);
        // New ids must not collide with the release's.
        return world(fixture.at, new SequentialIds('req-after-'));
      }

      it('load as the requests they were, and verify', async () => {
        const { deps, reader, clock } = await loaded();
        const get = async (id: string) => (await deps.store.get(id)) as AccessRequest;
        expect(await get(fixture.ids.activeRole)).toMatchObject({ status: 'ACTIVE', targetKind: 'role' });
        expect(await get(fixture.ids.activeGroup)).toMatchObject({ status: 'ACTIVE', targetKind: 'group' });
        expect(await get(fixture.ids.pending)).toMatchObject({ status: 'PENDING', targetId: 'dev-group' });
        expect(await get(fixture.ids.breakGlass)).toMatchObject({ status: 'ACTIVE', breakGlass: true });
        expect((await get(fixture.ids.released)).status).toBe('REVOKED');
        // Nothing of the storage format leaks into the request.
        expect(await get(fixture.ids.activeRole)).not.toHaveProperty('schemaVersion');
        expect(await verifyAudit({ chains: reader, clock })).toMatchObject({ ok: true, breaks: [] });
      });

      it('transition with today’s use cases, and the trail still verifies', async () => {
        const { deps, grant, reader, clock } = await loaded();
        const approved = await approveRequest(deps, {
          requestId: fixture.ids.pending,
          approver: person('ULEAD2'),
        });
        expect(approved.outcome).toBe('approved');
        expect(
          (await activateGrant(grant.deps, { requestId: fixture.ids.pending, attempt: 1, maxAttempts: 3 }))
            .outcome,
        ).toBe('activated');
        await reviewBreakGlass(deps, {
          requestId: fixture.ids.breakGlass,
          reviewer: person('USEC1'),
          note: 'ok',
        });
        await releaseGrant(deps, { requestId: fixture.ids.activeRole, requester: 'UDEV1' });
        clock.advance(8 * 3600);
        const report = await sweepExpiredGrants(grant.deps, { concurrency: 2 });
        expect(report.failed).toBe(0);

        const after = await Promise.all(Object.values(fixture.ids).map((id) => deps.store.get(id)));
        expect(after.map((r) => r?.status)).toEqual(['REVOKED', 'EXPIRED', 'EXPIRED', 'EXPIRED', 'REVOKED']);
        expect(await deps.store.get(fixture.ids.breakGlass)).toHaveProperty('reviewedAt');
        expect(await verifyAudit({ chains: reader, clock })).toMatchObject({ ok: true, breaks: [] });
      });

      it('are rewritten in this release’s schema version when they change', async () => {
        const { deps } = await loaded();
        await approveRequest(deps, { requestId: fixture.ids.pending, approver: person('ULEAD2') });
        const [item] = (await scanAll(db(), db().names.requests)).filter(
          (i) => i.id?.S === fixture.ids.pending,
        );
        expect(item?.schemaVersion).toEqual({ N: String(ITEM_SCHEMA_VERSION) });
      });

      it('from a newer release are refused, never read as something else or rewritten', async () => {
        const { deps } = await loaded();
        const pending = fixture.requests.find((i) => i.id?.S === fixture.ids.pending);
        await putAll(db(), db().names.requests, [{ ...pending, schemaVersion: { N: '99' } } as RawItem]);
        await expect(deps.store.get(fixture.ids.pending)).rejects.toThrow(ItemSchemaError);
        await expect(
          approveRequest(deps, { requestId: fixture.ids.pending, approver: person('ULEAD2') }),
        ).rejects.toThrow(/schema version 99, newer than this release reads/);
      });
    },
  );
});
