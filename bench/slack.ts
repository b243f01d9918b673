/**
 * Benchmark of the Slack function (not a test): warm latency (p50, p99) of the real handler
 * for a slash command and for an approval click, with signed requests against DynamoDB Local
 * and a stand-in Slack Web API; then the bundled function's size and module-load time, beside
 * four floors: a minimal Bolt app, the same building its App on the first request (as the
 * function does), the same with the DynamoDB document client alone, and the same with every AWS
 * client the function needs; then cold starts end to end, module load plus the first answer,
 * of the function and of the minimal Bolt app (cold-start.ts).
 *
 *   npx tsx bench/slack.ts [--n=200] [--loads=5] [--only=latency|bundles|cold] [--profile=DIR]
 *   (or SLACK_BENCH_N / SLACK_BENCH_LOADS; --loads is also the number of cold starts of each)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../infra/bundling.js';
import { measureColdStarts, median } from './cold-start.js';
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
import { parsePolicy } from '../shared/domain/policy-text.js';
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

/** Every function's entry point, and the minimal Bolt app it is compared with. */
const BUNDLES = [
  ...readdirSync('functions')
    .map((name) => `functions/${name}/handler.ts`)
    .filter((entry) => existsSync(entry)),
  'bench/minimal-bolt-app.ts',
  'bench/minimal-bolt-app-built-on-first-request.ts',
  'bench/minimal-bolt-dynamodb-app.ts',
  'bench/minimal-bolt-aws-app.ts',
];

/** Bundles `entry` as the stack does (infra/bundling.ts, source map included); the bundle's path and size. */
async function buildBundle(dir: string, entry: string): Promise<{ outfile: string; size: number }> {
  const outfile = join(dir, `${entry.replaceAll('/', '_')}.mjs`);
  await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [entry], outfile, logLevel: 'error' });
  return { outfile, size: statSync(outfile).size };
}

/**
 * The time to import `outfile` in a fresh node process (node's own start excluded): wall time,
 * and the process's CPU time over the same span. Loading is single-threaded work, so on a
 * shared machine the CPU time is the steadier figure of the two (a wait for a core is not in it).
 */
function loadOnce(outfile: string): { wall: number; cpu: number } {
  // Exits at once: a Bolt app starts verifying its token in the background, which this
  // offline machine would retry for minutes; module load is what is measured.
  const script = `const c = process.cpuUsage(); const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); if (typeof m.handler !== 'function') throw new Error('handler'); const wall = performance.now() - t; const u = process.cpuUsage(c); console.log(JSON.stringify({ wall, cpu: (u.user + u.system) / 1000 })); process.exit(0);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    // As Lambda runs it: no NODE_OPTIONS (the bundle maps its stack traces itself, when printed).
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { wall: number; cpu: number };
}

interface BundleLoads {
  readonly outfile: string;
  readonly size: number;
  readonly wall: number[];
  readonly cpu: number[];
}

async function measureBundles(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'jit-bundles-'));
  try {
    const results = new Map<string, BundleLoads>();
    for (const entry of BUNDLES)
      results.set(entry, { ...(await buildBundle(dir, entry)), wall: [], cpu: [] });
    // Round robin: each round loads every bundle once, so a busy spell on a shared machine
    // weighs on all of them alike and the ratios below compare like with like.
    for (let round = 0; round < LOADS; round++)
      for (const result of results.values()) {
        const { wall, cpu } = loadOnce(result.outfile);
        result.wall.push(wall);
        result.cpu.push(cpu);
      }
    console.log(
      `\nbundles (as deployed: infra/bundling.ts), module load = import in a fresh node process, ${LOADS} loads:`,
    );
    for (const [entry, { size, wall, cpu }] of results) {
      console.log(
        `  ${entry.padEnd(Math.max(...BUNDLES.map((e) => e.length)))} ${(size / 1024).toFixed(0).padStart(6)} KiB   load ${summary(wall)}; CPU p50 ${median(cpu).toFixed(1)} ms`,
      );
    }
    const slack = results.get('functions/slack/handler.ts');
    const ratios = (floor: BundleLoads) =>
      slack
        ? `size ${(slack.size / floor.size).toFixed(2)}x, module load p50 ${(median(slack.wall) / median(floor.wall)).toFixed(2)}x (CPU ${(median(slack.cpu) / median(floor.cpu)).toFixed(2)}x)`
        : '';
    const floor = results.get('bench/minimal-bolt-app.ts');
    const dynamoFloor = results.get('bench/minimal-bolt-dynamodb-app.ts');
    const awsFloor = results.get('bench/minimal-bolt-aws-app.ts');
    if (slack && floor)
      console.log(`slack function vs minimal Bolt app: ${ratios(floor)} (goal: <= 1.5 MB, <= 1.1x)`);
    if (floor && dynamoFloor)
      console.log(
        `minimal Bolt app with the DynamoDB document client alone vs minimal Bolt app: module load p50 ` +
          `${(median(dynamoFloor.wall) / median(floor.wall)).toFixed(2)}x (CPU ${(median(dynamoFloor.cpu) / median(floor.cpu)).toFixed(2)}x): ` +
          `what keeping state in DynamoDB through the SDK costs before any code of the function's own`,
      );
    const lazyFloor = results.get('bench/minimal-bolt-app-built-on-first-request.ts');
    if (slack && lazyFloor)
      console.log(
        `slack function vs minimal Bolt app that builds its App on the first request, as the function does: ${ratios(lazyFloor)} ` +
          `(the minimal app's own load includes starting Bolt's auth.test; see the cold starts below for load + first answer)`,
      );
    if (slack && awsFloor)
      console.log(
        `slack function vs minimal Bolt app with the AWS clients it needs: ${ratios(awsFloor)} (the broker's own code)`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const only = process.argv.find((a) => a.startsWith('--only='))?.split('=')[1];
if (only === undefined || only === 'latency') await measureLatency();
if (only === undefined || only === 'bundles') await measureBundles();
if (only === undefined || only === 'cold') await measureColdStarts(LOADS);
