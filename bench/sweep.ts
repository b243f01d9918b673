/**
 * Sweep throughput: N expired group grants on DynamoDB Local, every IAM call delayed by a
 * simulated latency, swept by the real use case and DynamoDB store. Prints grants revoked
 * per second, the DynamoDB calls per grant (reads, writes, transactions cancelled by
 * chain-head contention), and, in the same run on the same DynamoDB Local at the same
 * concurrency, the floor: the raw rate of one conditional three-item TransactWriteItems per
 * grant (the grant's update, its audit event, a head: what the sweeper cannot do without),
 * with the ratio of the two. Both are measured after an untimed warm-up of each on the same
 * DynamoDB Local (its JVM is slow for its first thousands of requests).
 *
 *   npx tsx bench/sweep.ts [--grants 10000] [--latency-ms 50] [--concurrency 32] [--runs 1]
 *   (or BENCH_GRANTS / BENCH_LATENCY_MS / BENCH_CONCURRENCY)
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { DynamoAuditLog } from '../shared/adapters/dynamodb/audit-log.js';
import { dropTables, ensureTables } from '../shared/adapters/dynamodb/create-tables.js';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalDynamo,
} from '../shared/adapters/dynamodb/local-server.js';
import { DynamoRequestStore } from '../shared/adapters/dynamodb/request-store.js';
import { tableNamesWithPrefix } from '../shared/adapters/dynamodb/tables.js';
import { sweepExpiredGrants } from '../shared/usecases/sweep-expired-grants.js';
import { ManualClock } from '../test/support/fakes.js';
import { grantRecord, grantWorld, seedGrants } from '../test/support/fake-aws.js';
import { attachMeter, type MeterSnapshot } from './dynamo-meter.js';

const { values } = parseArgs({
  options: {
    grants: { type: 'string', default: process.env.BENCH_GRANTS ?? '10000' },
    'latency-ms': { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '50' },
    concurrency: { type: 'string', default: process.env.BENCH_CONCURRENCY ?? '32' },
    endpoint: { type: 'string' },
  },
});
const grantsCount = Number(values.grants);
/** Grants swept, and raw transactions made, untimed before the measured run (see below). */
const WARM_UP = 1000;
const latencyMs = Number(values['latency-ms']);
const concurrency = Number(values.concurrency);

const dynamo = values.endpoint ? undefined : await startLocalDynamo();
const endpoint = values.endpoint ?? (dynamo?.endpoint as string);
const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
const meter = attachMeter(client);
const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const names = tableNamesWithPrefix(`bench${Date.now()}-`);
try {
  await ensureTables(client, names);
  const audit = new DynamoAuditLog(doc, names.audit);
  const store = new DynamoRequestStore(doc, names.requests, audit);
  const clock = new ManualClock('2026-11-27T09:00:00.000Z');
  const world = grantWorld({ store, audit, clock });
  world.groups.latencyMs = latencyMs;

  const expiredGrants = (prefix: string, count = grantsCount) =>
    Array.from({ length: count }, (_, i) =>
      grantRecord({
        id: `${prefix}-${String(i).padStart(6, '0')}`,
        principal: `${prefix}-user-${i}`,
        status: 'ACTIVE',
        startsAt: '2026-11-27T09:00:00.000Z',
        endsAt: '2026-11-27T10:00:00.000Z',
      }),
    );
  // Warm-up, untimed: a thousand grants swept and a thousand raw transactions. DynamoDB Local's
  // JVM compiles its hot paths over its first thousands of requests; without this, that cost
  // lands on whichever phase runs first (the sweep: 75–97 grants/s cold against 127–147 warm,
  // 2026-12-01), and the ratio compares a cold store with a warm one.
  const warmGrants = expiredGrants('warm', WARM_UP);
  await seedGrants(doc, names.requests, warmGrants);
  world.groups.put('jit-developers', ...warmGrants.map((g) => g.principal));
  clock.set('2026-11-27T10:01:00.000Z');
  await sweepExpiredGrants(world.deps, { concurrency });
  const warmRaw = expiredGrants('warm-raw', WARM_UP);
  await seedGrants(doc, names.requests, warmRaw);
  const warmLimit = pLimit(concurrency);
  await Promise.all(
    warmRaw.map((grant, i) => warmLimit(() => rawTransaction(grant.id, grant.version, grantsCount + i))),
  );

  const grants = expiredGrants('bench');
  const seedStart = performance.now();
  await seedGrants(doc, names.requests, grants);
  world.groups.put('jit-developers', ...grants.map((g) => g.principal));
  console.log(
    `seeded ${grantsCount} expired grants in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );

  clock.set('2026-11-27T10:01:00.000Z');
  meter.reset();
  const start = performance.now();
  const report = await sweepExpiredGrants(world.deps, { concurrency });
  const seconds = (performance.now() - start) / 1000;
  const sweepCalls = meter.snapshot();
  const left = world.groups.members('jit-developers').length;
  const sweepRate = report.ended / seconds;

  // The floor, on fresh grants of the same shape: one conditional three-item transaction
  // per grant, no reads, no shared item (so no contention), same concurrency.
  const raw = expiredGrants('raw');
  await seedGrants(doc, names.requests, raw);
  meter.reset();
  const limit = pLimit(concurrency);
  const rawStart = performance.now();
  await Promise.all(raw.map((grant, i) => limit(() => rawTransaction(grant.id, grant.version, i))));
  const rawSeconds = (performance.now() - rawStart) / 1000;
  const rawRate = grantsCount / rawSeconds;

  console.log(
    JSON.stringify({
      grants: grantsCount,
      iamLatencyMs: latencyMs,
      concurrency,
      ended: report.ended,
      failed: report.failed,
      membershipsLeft: left,
      seconds: Number(seconds.toFixed(2)),
      grantsRevokedPerSecond: Number(sweepRate.toFixed(1)),
      rawTransactionsPerSecond: Number(rawRate.toFixed(1)),
      ratio: Number((sweepRate / rawRate).toFixed(2)),
      perGrant: perGrant(sweepCalls, Math.max(1, report.ended)),
      rawPerGrant: perGrant(meter.snapshot(), grantsCount),
    }),
  );
  if (report.ended !== grantsCount || left !== 0) process.exitCode = 1;

  async function rawTransaction(id: string, version: number, i: number): Promise<void> {
    const chain = `raw#${i}`;
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: names.requests,
              Key: { id },
              UpdateExpression: 'SET #status = :to, #version = :next REMOVE liveAll, liveKey',
              ConditionExpression: '#status = :from AND #version = :version',
              ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
              ExpressionAttributeValues: {
                ':to': 'EXPIRED',
                ':from': 'ACTIVE',
                ':version': version,
                ':next': version + 1,
              },
            },
          },
          {
            Put: {
              TableName: names.audit,
              Item: { chain, seq: 1, requestId: id, type: 'grant.expired', at: '2026-11-27T10:01:00.000Z' },
              ConditionExpression: 'attribute_not_exists(seq)',
            },
          },
          {
            Update: {
              TableName: names.audit,
              Key: { chain, seq: 0 },
              UpdateExpression: 'SET headSeq = :seq, headHash = :hash',
              ConditionExpression: 'attribute_not_exists(headSeq)',
              ExpressionAttributeValues: { ':seq': 1, ':hash': 'h' },
            },
          },
        ],
      }),
    );
  }
} finally {
  await dropTables(client, names).catch(() => undefined);
  client.destroy();
  await dynamo?.stop();
}

/** DynamoDB calls per grant: reads, writes, and the breakdown by command and failure. */
function perGrant(snapshot: MeterSnapshot, grantCount: number) {
  const per = (n: number) => Number((n / grantCount).toFixed(2));
  return {
    reads: per(snapshot.reads),
    writes: per(snapshot.writes),
    calls: Object.fromEntries(Object.entries(snapshot.calls).map(([k, v]) => [k, per(v)])),
    failures: Object.fromEntries(Object.entries(snapshot.failures).map(([k, v]) => [k, per(v)])),
  };
}
