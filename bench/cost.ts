/**
 * What a grant costs: the DynamoDB capacity (ReturnConsumedCapacity: TOTAL) of each step of
 * a grant's lifecycle (request → approve → activate → expire, and its share of the day's
 * audit digest, which the anchor function writes once the day has closed) and of the audit queries, run
 * through the real use cases and DynamoDB store on DynamoDB Local, then a monthly estimate
 * at on-demand prices for 1,000 and 100,000 grants a month.
 *
 *   npx tsx bench/cost.ts [--grants 20] [--endpoint URL]
 *
 * DynamoDB Local reports capacity as DynamoDB computes it (item sizes rounded up to 1 KB
 * for writes, 4 KB for reads; transactions count double). The non-DynamoDB volumes per grant
 * (Lambda invocations, SQS requests, events) are the stated assumptions below, not measured.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditDigests } from '../shared/adapters/dynamodb/audit-digests.js';
import { DynamoAuditQuery } from '../shared/adapters/dynamodb/audit-query.js';
import { dayStart, DIGEST_SETTLE_MS, nextDay } from '../shared/domain/audit-digest.js';
import { digestAuditDays } from '../shared/usecases/digest-audit.js';
import { dropTables, ensureTables } from '../shared/adapters/dynamodb/create-tables.js';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalDynamo,
} from '../shared/adapters/dynamodb/local-server.js';
import { DynamoRequestStore } from '../shared/adapters/dynamodb/request-store.js';
import { tableNamesWithPrefix } from '../shared/adapters/dynamodb/tables.js';
import { parsePolicy } from '../shared/domain/policy-text.js';
import { activateGrant } from '../shared/usecases/activate-grant.js';
import { approveRequest } from '../shared/usecases/approve-request.js';
import type { RequestDeps } from '../shared/usecases/deps.js';
import { queryAudit } from '../shared/usecases/query-audit.js';
import { submitRequest } from '../shared/usecases/submit-request.js';
import { sweepExpiredGrants } from '../shared/usecases/sweep-expired-grants.js';
import { grantWorld } from '../test/support/fake-aws.js';
import {
  ManualClock,
  person,
  RecordingPublisher,
  RecordingQueue,
  SequentialIds,
  silentLogger,
  staticPolicy,
  TEST_POLICY_YAML,
} from '../test/support/fakes.js';
import { attachMeter, meterDelta, type MeterSnapshot } from './dynamo-meter.js';

const { values } = parseArgs({
  options: {
    grants: { type: 'string', default: '20' },
    // A DynamoDB Local already running (e.g. `npx tsx bench/audit.ts --hold`); tables are per run.
    endpoint: { type: 'string' },
  },
});
const grantCount = Number(values.grants);

/**
 * On-demand prices, us-east-1, as AWS listed them from 14 Nov 2024 (DynamoDB's on-demand cut)
 * and still used on 2026-11-30 by this bench; not re-checked against the live price list.
 * Free tiers are ignored (an upper bound).
 */
const PRICES = {
  dynamoWritePerMillion: 0.625, // write request units
  dynamoReadPerMillion: 0.125, // read request units
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000166667, // x86
  sqsPerMillionRequests: 0.4, // standard queue
  eventBridgePerMillionEvents: 1.0, // custom events published; Scheduler invocations the same
} as const;

/** Per-grant volumes besides DynamoDB (assumptions, see the README's Benchmarks section). */
const ASSUMED = {
  /** Slack: command, modal submit, approval click, Home refresh; worker: activate; subscriber: 3 notices. */
  lambdaInvocations: 8,
  lambdaGbSeconds: 8 * 0.25 * 0.2, // 256 MB, 200 ms each
  /** The grant job: send, receive, delete. */
  sqsRequests: 3,
  /** request created, approved, activated, ended. */
  events: 4,
  /** The sweeper and reconciler, every minute, whatever the volume: 2 × 43,200 invocations of 512 MB × 1 s. */
  fixedLambdaInvocations: 2 * 43_200,
  fixedLambdaGbSeconds: 2 * 43_200 * 0.5 * 1,
  fixedSchedulerInvocations: 2 * 43_200,
} as const;

const dynamo = values.endpoint ? undefined : await startLocalDynamo();
const client = new DynamoDBClient({
  endpoint: values.endpoint ?? dynamo?.endpoint,
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
});
const meter = attachMeter(client, { capacity: 'INDEXES' });
const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const names = tableNamesWithPrefix(`cost${Date.now()}-`);
try {
  await ensureTables(client, names);
  const audit = new DynamoAuditLog(doc, names.audit);
  const store = new DynamoRequestStore(doc, names.requests, audit);
  const clock = new ManualClock('2026-11-27T09:00:00.000Z');
  const deps: RequestDeps = {
    store,
    audit,
    policy: staticPolicy(parsePolicy(TEST_POLICY_YAML, 'test')),
    clock,
    ids: new SequentialIds(),
    events: new RecordingPublisher(),
    queue: new RecordingQueue(),
    logger: silentLogger,
  };
  const world = grantWorld({ store, audit, clock });
  const steps: Record<string, MeterSnapshot[]> = { request: [], approve: [], activate: [] };
  const measure = async <T>(step: string, run: () => Promise<T>): Promise<T> => {
    const before = meter.snapshot();
    const result = await run();
    (steps[step] ??= []).push(meterDelta(meter.snapshot(), before));
    return result;
  };

  const ids: string[] = [];
  for (let i = 0; i < grantCount; i++) {
    const submitted = await measure('request', () =>
      submitRequest(deps, {
        requester: person('UDEV1'),
        principal: `dev${i}`,
        targetId: 'dev-group',
        reason: 'bench',
      }),
    );
    if (submitted.outcome === 'refused') throw new Error(submitted.message);
    const id = submitted.request.id;
    ids.push(id);
    const approved = await measure('approve', () =>
      approveRequest(deps, { requestId: id, approver: person('ULEAD1') }),
    );
    if (approved.outcome !== 'approved') throw new Error(`not approved: ${approved.outcome}`);
    const activated = await measure('activate', () =>
      activateGrant(world.deps, { requestId: id, attempt: 1, maxAttempts: 3 }),
    );
    if (activated.outcome !== 'activated') throw new Error(`not activated: ${activated.outcome}`);
  }
  clock.advance(3 * 3600);
  const sweepBefore = meter.snapshot();
  const swept = await sweepExpiredGrants(world.deps, { concurrency: 4 });
  if (swept.ended !== grantCount) throw new Error(`swept ${swept.ended} of ${grantCount}`);
  const sweepAll = meterDelta(meter.snapshot(), sweepBefore);

  // The digest run once the grants' day has closed (the anchor function's): the day read from
  // the by-day index and one digest written per target, shared by every grant of the day.
  const day = clock.now().toISOString().slice(0, 10);
  clock.set(new Date(Date.parse(dayStart(nextDay(day))) + DIGEST_SETTLE_MS));
  const digestBefore = meter.snapshot();
  const digested = await digestAuditDays({
    trail: new DynamoAuditQuery(doc, names.audit),
    digests: new DynamoAuditDigests(doc, names.auditDigests),
    clock,
    logger: { ...silentLogger, error: (message) => console.error(message) },
    metrics: { count: () => undefined },
    firstDay: day,
  });
  if (digested.status !== 'digested' || digested.days.length !== 1) throw new Error('the digest run failed');
  const digestAll = meterDelta(meter.snapshot(), digestBefore);

  const reader = new DynamoAuditQuery(doc, names.audit);
  const auditDeps = { reader, clock };
  const queries: Record<string, MeterSnapshot> = {};
  const query = async (label: string, input: Record<string, unknown>) => {
    const before = meter.snapshot();
    await queryAudit(auditDeps, { ...input, limit: 1000 });
    queries[label] = meterDelta(meter.snapshot(), before);
  };
  await query("one request's timeline", { requestId: ids[0] });
  await query("one target's last 30 days", {
    target: 'dev-group',
    from: new Date(clock.now().getTime() - 30 * 86_400_000).toISOString(),
  });
  await query("one person's last 90 days", {
    person: 'UDEV1',
    from: new Date(clock.now().getTime() - 90 * 86_400_000).toISOString(),
  });

  const mean = (list: MeterSnapshot[], key: 'rcu' | 'wcu' | 'reads' | 'writes') =>
    list.reduce((sum, s) => sum + s[key], 0) / Math.max(1, list.length);
  const round = (n: number) => Number(n.toFixed(2));
  const perStep = Object.fromEntries(
    Object.entries(steps).map(([step, list]) => [
      step,
      {
        rcu: round(mean(list, 'rcu')),
        wcu: round(mean(list, 'wcu')),
        calls: round(mean(list, 'reads') + mean(list, 'writes')),
      },
    ]),
  );
  perStep.expire = {
    rcu: round(sweepAll.rcu / grantCount),
    wcu: round(sweepAll.wcu / grantCount),
    calls: round((sweepAll.reads + sweepAll.writes) / grantCount),
  };
  perStep.digest = {
    rcu: round(digestAll.rcu / grantCount),
    wcu: round(digestAll.wcu / grantCount),
    calls: round((digestAll.reads + digestAll.writes) / grantCount),
  };
  const rcu = Object.values(perStep).reduce((s, x) => s + x.rcu, 0);
  const wcu = Object.values(perStep).reduce((s, x) => s + x.wcu, 0);
  console.log(`DynamoDB capacity per step of a grant (mean of ${grantCount}, group target, one approval):`);
  console.table(perStep);
  console.log(`per grant: ${round(rcu)} read units, ${round(wcu)} write units`);

  // Where each step's units go: the table itself or one of its indexes (mean per grant).
  const stepSnapshots: Record<string, MeterSnapshot[]> = {
    ...steps,
    expire: [sweepAll],
    digest: [digestAll],
  };
  const divisor = (step: string) =>
    step === 'expire' || step === 'digest' ? grantCount : (steps[step]?.length ?? 1);
  const places = [
    ...new Set(Object.values(stepSnapshots).flatMap((list) => list.flatMap((s) => Object.keys(s.byPlace)))),
  ].sort();
  const shortName = (place: string) =>
    place
      .replace(names.auditDigests, 'audit-digests')
      .replace(names.requests, 'requests')
      .replace(names.audit, 'audit');
  console.log('write units (read units) per grant, by table and index:');
  console.table(
    Object.fromEntries(
      places.map((place) => [
        shortName(place),
        Object.fromEntries(
          Object.entries(stepSnapshots).map(([step, list]) => {
            const sum = (key: 'rcu' | 'wcu') =>
              list.reduce((total, s) => total + (s.byPlace[place]?.[key] ?? 0), 0) /
              Math.max(1, divisor(step));
            return [step, `${round(sum('wcu'))} (${round(sum('rcu'))})`];
          }),
        ),
      ]),
    ),
  );
  console.log('per audit query (one page of up to 1000, on this bench’s small trail):');
  console.table(
    Object.fromEntries(Object.entries(queries).map(([k, q]) => [k, { rcu: q.rcu, calls: q.reads }])),
  );

  const monthly = (grants: number) => {
    const dynamoCost =
      ((grants * wcu) / 1e6) * PRICES.dynamoWritePerMillion +
      ((grants * rcu) / 1e6) * PRICES.dynamoReadPerMillion;
    const lambda =
      ((grants * ASSUMED.lambdaInvocations + ASSUMED.fixedLambdaInvocations) / 1e6) *
        PRICES.lambdaPerMillionRequests +
      (grants * ASSUMED.lambdaGbSeconds + ASSUMED.fixedLambdaGbSeconds) * PRICES.lambdaPerGbSecond;
    const sqs = ((grants * ASSUMED.sqsRequests) / 1e6) * PRICES.sqsPerMillionRequests;
    const eventBridge =
      ((grants * ASSUMED.events + ASSUMED.fixedSchedulerInvocations) / 1e6) *
      PRICES.eventBridgePerMillionEvents;
    const usd = (n: number) => `$${n.toFixed(2)}`;
    return {
      DynamoDB: usd(dynamoCost),
      Lambda: usd(lambda),
      SQS: usd(sqs),
      EventBridge: usd(eventBridge),
      total: usd(dynamoCost + lambda + sqs + eventBridge),
    };
  };
  console.log(
    'monthly estimate, on-demand, us-east-1, free tiers ignored (prices: see PRICES in bench/cost.ts):',
  );
  console.table({ '1,000 grants/month': monthly(1_000), '100,000 grants/month': monthly(100_000) });
} finally {
  await dropTables(client, names).catch(() => undefined);
  client.destroy();
  await dynamo?.stop();
}
