/**
 * Benchmark of the Slack function (not a test): warm latency (p50, p99) of the real handler
 * for a slash command and for an approval click, with signed requests against DynamoDB Local
 * and a stand-in Slack Web API; then the bundled function's size and module-load time.
 *
 *   npx tsx bench/slack.ts [--n=200] [--loads=5]      (or SLACK_BENCH_N / SLACK_BENCH_LOADS)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { slackPerson } from '../shared/domain/person.js';
import { DynamoAuditLog } from '../shared/adapters/dynamodb/audit-log.js';
import { createDocumentClient } from '../shared/adapters/dynamodb/client.js';
import { ensureTables } from '../shared/adapters/dynamodb/create-tables.js';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalDynamo,
} from '../shared/adapters/dynamodb/local-server.js';
import { DynamoRequestStore } from '../shared/adapters/dynamodb/request-store.js';
import { tableNamesWithPrefix } from '../shared/adapters/dynamodb/tables.js';
import { systemClock, UlidGenerator } from '../shared/adapters/ids.js';
import { ACTIONS, COMMANDS } from '../shared/adapters/slack/ids.js';
import { parsePolicy } from '../shared/domain/policy.js';
import { eventsOverSlackClient } from '../functions/wiring/event-wiring.js';
import type { GrantJob } from '../shared/domain/ports.js';
import type { RequestDeps } from '../shared/usecases/deps.js';
import { submitRequest } from '../shared/usecases/submit-request.js';
import { createHandler } from '../functions/slack/create-handler.js';
import {
  blockAction,
  commandBody,
  interactionBody,
  signedEvent,
  SlackStandIn,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from '../test/support/slack.js';

function option(name: string, envName: string, fallback: number): number {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = Number(flag?.split('=')[1] ?? process.env[envName] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const N = option('n', 'SLACK_BENCH_N', 200);
const LOADS = option('loads', 'SLACK_BENCH_LOADS', 5);

const POLICY = parsePolicy(`
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1] }
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h, approvalChannel: CAPPROVE1 }
`);

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms (n=${samples.length})`;
}

async function measureLatency(): Promise<void> {
  const dynamo = await startLocalDynamo();
  const slack = await new SlackStandIn().start();
  slack.emails.set('UDEV1', 'dev1@example.com');
  const raw = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const names = tableNamesWithPrefix('bench-');
    await ensureTables(raw, names);
    const doc = createDocumentClient({
      endpoint: dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const audit = new DynamoAuditLog(doc, names.audit);
    const jobs: GrantJob[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const deps = {
      store: new DynamoRequestStore(doc, names.requests, audit),
      audit,
      policy: { current: () => POLICY },
      clock: systemClock,
      ids: new UlidGenerator(),
      queue: { enqueue: async (job: GrantJob) => void jobs.push(job) },
      logger,
    };
    const handler = createHandler({
      load: async () => ({
        signingSecret: TEST_SIGNING_SECRET,
        botToken: TEST_BOT_TOKEN,
        slackApiUrl: slack.url,
        logger,
        deps,
        events: eventsOverSlackClient({ doc, tables: names, ...deps }, logger),
      }),
    });
    const context = { awsRequestId: 'bench' } as unknown as Context;
    const call = async (body: string) => {
      const started = performance.now();
      const response = await handler(signedEvent(body) as never, context);
      const elapsed = performance.now() - started;
      if (response.statusCode !== 200)
        throw new Error(`handler answered ${response.statusCode}: ${response.body}`);
      return elapsed;
    };

    // Pending requests to approve, made outside the measurement.
    const useCaseDeps: RequestDeps = { ...deps, events: { publish: async () => undefined } };
    const ids: string[] = [];
    for (let i = 0; i < N + 10; i++) {
      const result = await submitRequest(useCaseDeps, {
        requester: { person: slackPerson('UDEV1'), groups: [] },
        principal: 'dev1@example.com',
        targetId: 'dev-group',
        reason: `bench ${i}`,
      });
      if (result.outcome === 'refused') throw new Error(result.message);
      ids.push(result.request.id);
    }

    for (let i = 0; i < 10; i++) await call(commandBody(COMMANDS.requestAccess, 'UDEV1')); // warm-up
    const commands: number[] = [];
    for (let i = 0; i < N; i++) commands.push(await call(commandBody(COMMANDS.requestAccess, 'UDEV1')));

    const click = (id: string) =>
      interactionBody(blockAction('ULEAD1', ACTIONS.approve, id, { channel: 'CAPPROVE1', ts: '1.0' }));
    for (const id of ids.slice(0, 10)) await call(click(id)); // warm-up
    const clicks: number[] = [];
    for (const id of ids.slice(10)) clicks.push(await call(click(id)));
    if (jobs.length !== N + 10) throw new Error(`expected ${N + 10} hand-offs, saw ${jobs.length}`);

    console.log(`slash command ${COMMANDS.requestAccess} (views.open):   ${summary(commands)}`);
    console.log(`approval click (approve + hand-off + chat.update): ${summary(clicks)}`);
  } finally {
    raw.destroy();
    await slack.stop();
    await dynamo.stop();
  }
}

async function measureBundle(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'jit-slack-bundle-'));
  try {
    const outfile = join(dir, 'index.mjs');
    // Like CDK's NodejsFunction with format ESM: everything bundled, minified, for Node 24.
    // The banner gives CommonJS dependencies (Bolt) the `require` that ESM lacks.
    await build({
      entryPoints: ['functions/slack/handler.ts'],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'error',
    });
    const size = statSync(outfile).size;
    console.log(`bundle functions/slack/handler.ts: ${(size / 1024).toFixed(0)} KiB (${size} bytes)`);
    const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); if (typeof m.handler !== 'function' || m.handler.length !== 2) throw new Error('handler'); console.log(performance.now() - t);`;
    const loads: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
        encoding: 'utf8',
      });
      loads.push(Number(out.trim().split('\n').pop()));
    }
    console.log(`module load (import of the bundle, fresh node process): ${summary(loads)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await measureLatency();
await measureBundle();
