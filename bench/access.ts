/**
 * Time to access, and time to removal (not a test: it prints figures).
 *
 *   npx tsx bench/access.ts [--n 100] [--warm-up 10] [--grants 1000] [--latency-ms 50]
 *                           [--concurrency 32] [--only access|expiry] [--endpoint URL]
 *
 * 1. Approval click → IAM call made → grant ACTIVE, `--n` requests one after the other after
 *    `--warm-up` untimed ones, through the local broker as `npm start` runs it: a signed Slack
 *    interaction posted to the real Slack handler over HTTP, the approval written to DynamoDB
 *    Local, the job handed to the in-process grant queue, the real grant-worker handler,
 *    AddUserToGroup made in the AWS sandbox (a recording stand-in) and ACTIVE committed. The IAM call is timed when the
 *    sandbox records it; ACTIVE when a consistent read of the request first sees it. The local
 *    queue hands a job over in-process (≈0 ms), so the SQS hop is added from its documented
 *    latency (SQS_HOP_MS below), not measured.
 *
 * 2. Expiry → removal lateness: `--grants` group grants ending in the same minute (evenly
 *    spread over it), the sweeper run on its deployed schedule (`rate(1 minute)`: every whole
 *    minute) with RemoveUserFromGroup delayed by `--latency-ms`, on DynamoDB Local. Clock:
 *    real time with the idle wait skipped. The use cases read a clock that runs at wall speed
 *    (so the sweep's own duration is real) but jumps straight to the next schedule tick, so
 *    a run does not wait out the minute. Lateness = removal time − end time; its
 *    schedule part (tick − end) is fixed by the one-minute rate, the sweep part (removal −
 *    tick) is the code's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { readLocalConfig } from '../functions/local/config.js';
import { startLocalBroker } from '../functions/local/runner.js';
import { DynamoAuditLog } from '../shared/adapters/dynamodb/audit-log.js';
import { dropTables, ensureTables } from '../shared/adapters/dynamodb/create-tables.js';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalDynamo,
} from '../shared/adapters/dynamodb/local-server.js';
import { DynamoRequestStore } from '../shared/adapters/dynamodb/request-store.js';
import { tableNamesWithPrefix } from '../shared/adapters/dynamodb/tables.js';
import {
  blockAction,
  commandBody,
  interactionBody,
  selectState,
  textState,
  viewSubmission,
} from '../shared/adapters/sandbox/slack-payloads.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../shared/adapters/slack/ids.js';
import { slackSignature } from '../shared/adapters/slack/signature.js';
import { sweepExpiredGrants } from '../shared/usecases/sweep-expired-grants.js';
import { grantRecord, grantWorld, seedGrants } from '../test/support/fake-aws.js';
import { ManualClock } from '../test/support/fakes.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    // Approvals made first and not timed: the first ones run before V8 and DynamoDB Local's
    // JVM have compiled their paths, which a warm function and table have long done.
    'warm-up': { type: 'string', default: '10' },
    grants: { type: 'string', default: '1000' },
    'latency-ms': { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '32' },
    only: { type: 'string' },
    // A DynamoDB Local already running (e.g. `npx tsx bench/audit.ts --hold`); tables are per run.
    endpoint: { type: 'string' },
  },
});
const positive = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
};

/**
 * The SQS hop added to the measured figures. Documented: "typical latencies for SendMessage,
 * ReceiveMessage, and DeleteMessage API requests are in the tens or low hundreds of
 * milliseconds" (Amazon SQS FAQs, performance; quoted from memory, not re-checked from this
 * offline machine). The hop is a SendMessage plus the Lambda event source mapping's receive:
 * taken as 2 × 20 ms at p50 and 2 × 100 ms at p99 (no percentiles are documented: an estimate).
 */
const SQS_HOP_MS = { p50: 40, p99: 200 } as const;

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function stats(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Part 1: approval click → IAM call → ACTIVE through the local broker. */
async function timeToAccess(n: number, warmUp: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'jit-access-bench-'));
  const requesters = Array.from({ length: warmUp + n }, (_, i) => `U0BENCH${String(i).padStart(4, '0')}`);
  const policyPath = join(dir, 'policy.yaml');
  await writeFile(
    policyPath,
    [
      'version: 1',
      'people:',
      `  devs: { users: [${requesters.join(', ')}] }`,
      '  leads: { users: [U0LEAD0001] }',
      'targets:',
      '  - { id: developers, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h, approvalChannel: C0APPROVAL1 }',
      '',
    ].join('\n'),
  );
  // The sandbox prints each AWS action the moment it is made: that is when the IAM call is timed.
  const iamCalls = new Map<string, number>();
  const print = (line: string) => {
    const match = /^aws\s+✎ AddUserToGroup jit-developers (\S+)/u.exec(line);
    if (match) iamCalls.set(match[1] as string, performance.now());
  };
  const config = readLocalConfig({
    PORT: '0',
    LOCAL_DATA_DIR: 'memory',
    TABLE_PREFIX: `bench-access${Date.now()}-`,
    ...(values.endpoint ? { AWS_ENDPOINT_URL_DYNAMODB: values.endpoint } : {}),
    POLICY_PATH: policyPath,
    SWEEP_INTERVAL_SECONDS: '3600',
  });
  const broker = await startLocalBroker({ config, print });
  const slack = broker.slack;
  if (!slack) throw new Error('the bench needs the built-in Slack sandbox');
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: broker.dynamoEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  const post = async (body: string) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${broker.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(config.SLACK_SIGNING_SECRET, timestamp, body),
      },
      body,
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`Slack request answered ${response.status}: ${text}`);
  };
  const approvalPostFor = async (since: number): Promise<string> => {
    for (let tries = 0; tries < 500; tries++) {
      for (const call of slack.calls.slice(since)) {
        if (call.method !== 'chat.postMessage') continue;
        const blocks = call.args.blocks;
        const parsed = (typeof blocks === 'string' ? JSON.parse(blocks) : (blocks ?? [])) as {
          elements?: { action_id?: string; value?: string }[];
        }[];
        const value = parsed
          .flatMap((block) => block.elements ?? [])
          .find((element) => element.action_id === ACTIONS.approve)?.value;
        if (value) return value;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no approval post');
  };
  const statusOf = async (id: string) =>
    (
      await doc.send(
        new GetCommand({
          TableName: `${config.TABLE_PREFIX}requests`,
          Key: { id },
          ConsistentRead: true,
          ProjectionExpression: '#s',
          ExpressionAttributeNames: { '#s': 'status' },
        }),
      )
    ).Item?.status as string | undefined;

  const toAck: number[] = [];
  const toIam: number[] = [];
  const toActive: number[] = [];
  try {
    for (const [i, requester] of requesters.entries()) {
      const timed = i >= warmUp;
      const since = slack.calls.length;
      await post(commandBody(COMMANDS.requestAccess, requester));
      await post(
        interactionBody(
          viewSubmission(requester, CALLBACKS.requestModal, {
            ...selectState(BLOCKS.target, ACTIONS.target, 'developers'),
            ...textState(BLOCKS.duration, ACTIONS.duration, '1h'),
            ...textState(BLOCKS.reason, ACTIONS.reason, 'bench'),
          }),
        ),
      );
      const requestId = await approvalPostFor(since);
      await broker.queue.idle();

      const clicked = performance.now();
      await post(
        interactionBody(
          blockAction('U0LEAD0001', ACTIONS.approve, requestId, { channel: 'C0APPROVAL1', ts: '1' }),
        ),
      );
      const acked = performance.now();
      let status = await statusOf(requestId);
      while (status !== 'ACTIVE') {
        if (status === 'FAILED') throw new Error(`${requestId} FAILED`);
        status = await statusOf(requestId);
      }
      const active = performance.now();
      const principal = [...iamCalls.keys()].at(-1);
      const iamAt = principal === undefined ? undefined : iamCalls.get(principal);
      if (iamAt === undefined || iamAt < clicked) throw new Error(`no AddUserToGroup for ${requestId}`);
      if (timed) {
        toAck.push(acked - clicked);
        toIam.push(iamAt - clicked);
        toActive.push(active - clicked);
      }
      iamCalls.clear();
      await broker.queue.idle();
    }
  } finally {
    doc.destroy();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const ack = stats(toAck);
  const iam = stats(toIam);
  const active = stats(toActive);
  console.log(
    `time to access, ${n} approvals one after the other after ${warmUp} untimed ` +
      '(local broker, DynamoDB Local, AWS sandbox):',
  );
  console.table({
    'click → Slack ack': { p50: ms(ack.p50), p99: ms(ack.p99) },
    'click → AddUserToGroup made': { p50: ms(iam.p50), p99: ms(iam.p99) },
    'click → ACTIVE committed': { p50: ms(active.p50), p99: ms(active.p99) },
    [`click → ACTIVE + SQS hop (+${SQS_HOP_MS.p50}/${SQS_HOP_MS.p99} ms)`]: {
      p50: ms(active.p50 + SQS_HOP_MS.p50),
      p99: ms(active.p99 + SQS_HOP_MS.p99),
    },
  });
}

/** The use cases' clock: wall speed, but it can jump ahead to skip waiting. */
class SkippingClock extends ManualClock {
  private offsetMs = 0;
  override now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  override set(at: Date | string): void {
    this.offsetMs = new Date(at).getTime() - Date.now();
  }
  override advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

/** Part 2: `count` grants ending in one minute, removed by the sweeper on its schedule. */
async function expiryLateness(count: number, latencyMs: number, concurrency: number): Promise<void> {
  const dynamo = values.endpoint ? undefined : await startLocalDynamo();
  const client = new DynamoDBClient({
    endpoint: values.endpoint ?? dynamo?.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const names = tableNamesWithPrefix(`lateness${Date.now()}-`);
  try {
    await ensureTables(client, names);
    const audit = new DynamoAuditLog(doc, names.audit);
    const store = new DynamoRequestStore(doc, names.requests, audit);
    const minute = Date.parse('2026-11-27T10:00:00.000Z');
    const clock = new SkippingClock();
    clock.set(new Date(minute - 3600_000));
    const world = grantWorld({ store, audit, clock });
    world.groups.latencyMs = latencyMs;
    // Ends evenly over [10:00:00, 10:01:00).
    const grants = Array.from({ length: count }, (_, i) =>
      grantRecord({
        id: `late-${String(i).padStart(6, '0')}`,
        principal: `late-user-${i}`,
        status: 'ACTIVE',
        startsAt: '2026-11-27T09:00:00.000Z',
        endsAt: new Date(minute + Math.floor((i * 60_000) / count)).toISOString(),
      }),
    );
    await seedGrants(doc, names.requests, grants);
    world.groups.put('jit-developers', ...grants.map((g) => g.principal));
    const endOf = new Map(grants.map((g) => [g.principal, Date.parse(g.endsAt as string)]));
    const removedAt = new Map<string, number>();
    const remove = world.groups.remove.bind(world.groups);
    world.groups.remove = async (group, user) => {
      const receipt = await remove(group, user);
      removedAt.set(user, clock.now().getTime());
      return receipt;
    };

    // rate(1 minute): ticks at 10:00:00 (a minute boundary, before most ends), 10:01:00, ...
    const ticks: { tick: number; ended: number; seconds: number }[] = [];
    for (let tick = minute; removedAt.size < count && tick <= minute + 5 * 60_000; tick += 60_000) {
      clock.set(new Date(tick));
      const started = performance.now();
      const report = await sweepExpiredGrants(world.deps, { concurrency });
      ticks.push({ tick, ended: report.ended, seconds: (performance.now() - started) / 1000 });
    }
    const lateness: number[] = [];
    const sweepPart: number[] = [];
    for (const [user, at] of removedAt) {
      const end = endOf.get(user) as number;
      lateness.push(at - end);
      const tick = Math.ceil(end / 60_000) * 60_000;
      sweepPart.push(at - tick);
    }
    const total = stats(lateness);
    const sweep = stats(sweepPart);
    const seconds = (n: number) => `${(n / 1000).toFixed(1)} s`;
    console.log(
      `expiry → removal, ${count} grants ending in one minute, sweeper every minute, ` +
        `IAM ${latencyMs} ms per call, ${concurrency} in flight (clock: wall speed, idle waits skipped):`,
    );
    console.table(
      Object.fromEntries(
        ticks.map((t) => [
          new Date(t.tick).toISOString().slice(11, 19),
          { ended: t.ended, sweep: `${t.seconds.toFixed(1)} s` },
        ]),
      ),
    );
    console.table({
      'lateness (removal − end)': {
        p50: seconds(total.p50),
        p99: seconds(total.p99),
        max: seconds(total.max),
      },
      'of which the sweep (removal − tick)': {
        p50: seconds(sweep.p50),
        p99: seconds(sweep.p99),
        max: seconds(sweep.max),
      },
    });
    if (removedAt.size !== count) {
      console.log(`only ${removedAt.size} of ${count} removed`);
      process.exitCode = 1;
    }
  } finally {
    await dropTables(client, names).catch(() => undefined);
    client.destroy();
    await dynamo?.stop();
  }
}

if (values.only !== 'expiry') {
  const warmUp = Number(values['warm-up']);
  if (!Number.isInteger(warmUp) || warmUp < 0) throw new Error('--warm-up must be a whole number');
  await timeToAccess(positive('n'), warmUp);
}
if (values.only !== 'access') {
  await expiryLateness(positive('grants'), Number(values['latency-ms']), positive('concurrency'));
}
