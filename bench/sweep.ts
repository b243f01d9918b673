/**
 * Sweep throughput: N expired group grants on DynamoDB Local, every IAM call delayed by a
 * simulated latency, swept by the real use case and DynamoDB store. Prints grants revoked
 * per second.
 *
 *   npx tsx bench/sweep.ts [--grants 10000] [--latency-ms 50] [--concurrency 32] [--runs 1]
 *   (or BENCH_GRANTS / BENCH_LATENCY_MS / BENCH_CONCURRENCY)
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

const { values } = parseArgs({
  options: {
    grants: { type: 'string', default: process.env.BENCH_GRANTS ?? '10000' },
    'latency-ms': { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '50' },
    concurrency: { type: 'string', default: process.env.BENCH_CONCURRENCY ?? '32' },
    endpoint: { type: 'string' },
  },
});
const grantsCount = Number(values.grants);
const latencyMs = Number(values['latency-ms']);
const concurrency = Number(values.concurrency);

const dynamo = values.endpoint ? undefined : await startLocalDynamo();
const endpoint = values.endpoint ?? (dynamo?.endpoint as string);
const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const names = tableNamesWithPrefix(`bench${Date.now()}-`);
try {
  await ensureTables(client, names);
  const audit = new DynamoAuditLog(doc, names.audit);
  const store = new DynamoRequestStore(doc, names.requests, audit);
  const clock = new ManualClock('2026-11-27T09:00:00.000Z');
  const world = grantWorld({ store, audit, clock });
  world.groups.latencyMs = latencyMs;

  const grants = Array.from({ length: grantsCount }, (_, i) =>
    grantRecord({
      id: `bench-${String(i).padStart(6, '0')}`,
      principal: `user-${i}`,
      status: 'ACTIVE',
      startsAt: '2026-11-27T09:00:00.000Z',
      endsAt: '2026-11-27T10:00:00.000Z',
    }),
  );
  const seedStart = performance.now();
  await seedGrants(doc, names.requests, grants);
  world.groups.put('jit-developers', ...grants.map((g) => g.principal));
  console.log(
    `seeded ${grantsCount} expired grants in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );

  clock.set('2026-11-27T10:01:00.000Z');
  const start = performance.now();
  const report = await sweepExpiredGrants(world.deps, { concurrency });
  const seconds = (performance.now() - start) / 1000;
  const left = world.groups.members('jit-developers').length;
  console.log(
    JSON.stringify({
      grants: grantsCount,
      iamLatencyMs: latencyMs,
      concurrency,
      ended: report.ended,
      failed: report.failed,
      membershipsLeft: left,
      seconds: Number(seconds.toFixed(2)),
      grantsRevokedPerSecond: Number((report.ended / seconds).toFixed(1)),
    }),
  );
  if (report.ended !== grantsCount || left !== 0) process.exitCode = 1;
} finally {
  await dropTables(client, names).catch(() => undefined);
  client.destroy();
  await dynamo?.stop();
}
