/**
 * Audit trail benchmark on DynamoDB Local.
 *
 *   npx tsx bench/audit.ts [--events 1000000] [--people 2000] [--targets 50] [--days 365]
 *                          [--runs 50] [--export 100000] [--concurrency 12] [--data-dir DIR]
 *                          [--endpoint URL [--skip-seed]]
 *
 * Seeds `--events` sealed audit events (valid hash chains) with parallel BatchWrite, digests
 * every closed day (the digest run of shared/usecases/digest-audit.ts, timed), then prints
 * p50/p95 of:
 * - "one person's last 90 days";
 * - "one target's last 30 days" six ways, run by run: from the index alone, all pages of 1000
 *   as read and spread over time slices, streamed spread and one request at a time; then with
 *   the digests, all pages and streamed; each way after one untimed answer, with the CPU time
 *   an answer costs this process and DynamoDB Local (when its process is on this machine);
 * - "one request's timeline";
 * and the time and peak memory of exporting `--export` events to CSV (run in a child process so
 * its peak RSS is the export's alone). `--endpoint` uses a DynamoDB Local that is already
 * running (`npx tsx bench/audit.ts --hold` starts one in memory and prints its URL); with
 * `--skip-seed` the table seeded by an earlier run is measured again (same `--events`).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { auditEventToItem, HEAD_SEQ } from '../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditDigests } from '../shared/adapters/dynamodb/audit-digests.js';
import { DEFAULT_AUDIT_READ, DynamoAuditQuery } from '../shared/adapters/dynamodb/audit-query.js';
import { ensureTables } from '../shared/adapters/dynamodb/create-tables.js';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalDynamo,
  type LocalDynamo,
} from '../shared/adapters/dynamodb/local-server.js';
import { tableNamesWithPrefix } from '../shared/adapters/dynamodb/tables.js';
import type { AuditEvent } from '../shared/domain/audit.js';
import { digestAuditDays } from '../shared/usecases/digest-audit.js';
import { exportAudit } from '../shared/usecases/query-audit.js';
import { writeEvents } from '../shared/adapters/audit-format/audit-format.js';
import { generateEvents, localDynamoPid, percentile, serverCpu } from './audit-trail.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    people: { type: 'string', default: '2000' },
    targets: { type: 'string', default: '50' },
    days: { type: 'string', default: '365' },
    runs: { type: 'string', default: '50' },
    export: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '12' },
    'data-dir': { type: 'string' },
    // Reuse a DynamoDB Local that is already running (and, with --skip-seed, its seeded table).
    'skip-seed': { type: 'boolean', default: false },
    // Internal: the export measurement, run in a child process.
    'export-child': { type: 'boolean', default: false },
    hold: { type: 'boolean', default: false },
    endpoint: { type: 'string' },
    table: { type: 'string' },
    now: { type: 'string' },
    out: { type: 'string' },
  },
});

const num = (name: keyof typeof args) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
};

function documentClient(endpoint: string) {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 10,
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

async function seed(doc: DynamoDBDocumentClient, table: string, end: Date): Promise<number> {
  const total = num('events');
  const concurrency = Math.max(1, num('concurrency'));
  const inFlight = new Set<Promise<void>>();
  const writeBatch = async (events: AuditEvent[]) => {
    let items: Record<string, unknown>[] = events.map((e) => ({ PutRequest: { Item: auditEventToItem(e) } }));
    for (let attempt = 0; items.length > 0; attempt++) {
      const { UnprocessedItems } = await doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: items as never } }),
      );
      items = (UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      if (items.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
    }
  };
  const started = Date.now();
  let written = 0;
  let lastReport = started;
  const generator = generateEvents(total, num('people'), num('targets'), num('days'), end);
  let batch: AuditEvent[] = [];
  let next = generator.next();
  while (!next.done) {
    batch.push(next.value);
    next = generator.next();
    if (batch.length === 25 || next.done) {
      const chunk = batch;
      batch = [];
      const p: Promise<void> = writeBatch(chunk).then(() => {
        written += chunk.length;
        inFlight.delete(p);
      });
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        const rate = written / ((lastReport - started) / 1000);
        process.stderr.write(`  seeded ${written}/${total} (${Math.round(rate)} events/s)\n`);
      }
    }
  }
  await Promise.all(inFlight);
  // The chain heads, as the audit log keeps them, so `verify` would accept the trail.
  for (const [chain, head] of next.value) {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: { chain, seq: HEAD_SEQ, headSeq: head.seq, headHash: head.hash },
      }),
    );
  }
  return (Date.now() - started) / 1000;
}

/** An auditors' filter, as the reader takes it. */
type TargetFilter = Parameters<DynamoAuditQuery['query']>[0];

/** Reads every page of 1,000 of `filter`'s answer; how many events it held. */
async function readAllPages(reader: DynamoAuditQuery, filter: TargetFilter, now: Date): Promise<number> {
  let events = 0;
  let cursor: string | undefined;
  do {
    const page = await reader.query(filter, cursor ? { limit: 1000, cursor } : { limit: 1000 }, now);
    events += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return events;
}

async function timeQueries(
  reader: DynamoAuditQuery,
  label: string,
  runs: number,
  filterOf: (i: number) => TargetFilter,
  now: Date,
) {
  const times: number[] = [];
  let events = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    events += await readAllPages(reader, filterOf(i), now);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms ` +
      `(${runs} runs, ${(events / runs).toFixed(0)} events on average, all pages of 1000)`,
  );
}

/** The export, alone in its own process: streams `--export` events to a CSV file. */
async function exportChild(): Promise<void> {
  const doc = documentClient(args.endpoint as string);
  const reader = new DynamoAuditQuery(doc, args.table as string);
  const now = new Date(args.now as string);
  const clock = { now: () => now };
  const from = new Date(now.getTime() - num('days') * 86_400_000).toISOString();
  const out = createWriteStream(args.out as string);
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 25);
  const t0 = performance.now();
  const count = await writeEvents(
    exportAudit({ reader, clock }, { from }, { max: num('export') }),
    'csv',
    out,
  );
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  sample();
  console.log(
    JSON.stringify({ count, seconds, peakRss, peakHeap, maxRssKb: process.resourceUsage().maxRSS }),
  );
}

/** Starts an in-memory DynamoDB Local, prints its URL and keeps it until stopped (Ctrl-C). */
async function hold(): Promise<void> {
  const dynamo = await startLocalDynamo();
  console.log(dynamo.endpoint);
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve).once('SIGINT', resolve));
  await dynamo.stop();
}

async function main(): Promise<void> {
  if (args['export-child']) return exportChild();
  if (args.hold) return hold();
  const total = num('events');
  const end = new Date('2026-06-30T00:00:00.000Z');
  let dynamo: LocalDynamo | undefined;
  const dir = await mkdtemp(join(tmpdir(), 'jit-audit-bench-'));
  try {
    const t0 = Date.now();
    const endpoint =
      args.endpoint ??
      (dynamo = await startLocalDynamo(args['data-dir'] ? { dataDir: args['data-dir'] } : {})).endpoint;
    console.log(`DynamoDB Local up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${endpoint})`);
    const doc = documentClient(endpoint);
    const names = tableNamesWithPrefix('bench-');
    await ensureTables(
      new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
      names,
    );
    if (!args['skip-seed']) {
      const seedSeconds = await seed(doc, names.audit, end);
      console.log(
        `seeded ${total} events in ${seedSeconds.toFixed(1)} s (${Math.round(total / seedSeconds)} events/s, ` +
          `${num('people')} people, ${num('targets')} targets, ${num('days')} days, concurrency ${num('concurrency')})`,
      );
    }

    // The digest run over the trail, as the anchor function runs it: every closed day at `end`
    // (all but the last day, which closes an hour after it), from the trail's first day.
    const digests = new DynamoAuditDigests(doc, names.auditDigests);
    const digestStarted = performance.now();
    const digestRun = await digestAuditDays({
      trail: new DynamoAuditQuery(doc, names.audit),
      digests,
      clock: { now: () => end },
      logger: { info: () => undefined, warn: () => undefined, error: (message) => console.error(message) },
      metrics: { count: () => undefined },
      firstDay: new Date(end.getTime() - num('days') * 86_400_000).toISOString().slice(0, 10),
    });
    if (digestRun.status !== 'digested') throw new Error(`the digest run failed: ${digestRun.error}`);
    console.log(
      `digested ${digestRun.days.length} days in ${((performance.now() - digestStarted) / 1000).toFixed(1)} s ` +
        `(span ${digestRun.span?.since ?? '-'} … ${digestRun.span?.through ?? '-'})`,
    );

    const reader = new DynamoAuditQuery(doc, names.audit);
    const withDigests = new DynamoAuditQuery(doc, names.audit, undefined, undefined, undefined, digests);
    const runs = num('runs');
    const person = (i: number) => `U${String((i * 7919) % num('people')).padStart(6, '0')}`;
    const target = (i: number) => `target-${String((i * 31) % num('targets')).padStart(3, '0')}`;
    const daysAgo = (d: number) => new Date(end.getTime() - d * 86_400_000).toISOString();
    await timeQueries(
      reader,
      "one person's last 90 days",
      runs,
      (i) => ({ subject: person(i), from: daysAgo(90) }),
      end,
    );
    // One target's month four ways, interleaved run by run so a busy spell weighs on all alike:
    // pages as the reader reads them (one request at a time), pages spread over time slices,
    // and the stream (export path) spread and one request at a time.
    const spreadPages = new DynamoAuditQuery(doc, names.audit, undefined, undefined, {
      ...DEFAULT_AUDIT_READ,
      spreadPlainPages: true,
    });
    const sequential = new DynamoAuditQuery(doc, names.audit, undefined, undefined, { slices: 1, window: 1 });
    const allStreamed = async (r: DynamoAuditQuery, filter: TargetFilter) => {
      let n = 0;
      for await (const _event of r.stream(filter, end)) n += 1;
      return n;
    };
    const modes = [
      {
        label: 'all pages of 1000, as read (one request at a time)',
        read: (f: TargetFilter) => readAllPages(reader, f, end),
      },
      {
        label: 'all pages of 1000, spread over 4 time slices',
        read: (f: TargetFilter) => readAllPages(spreadPages, f, end),
      },
      { label: 'streamed (export path), 4 time slices', read: (f: TargetFilter) => allStreamed(reader, f) },
      {
        label: 'streamed (export path), one request at a time',
        read: (f: TargetFilter) => allStreamed(sequential, f),
      },
      {
        label: 'with digests: all pages of 1000 (as the reader reads them)',
        read: (f: TargetFilter) => readAllPages(withDigests, f, end),
      },
      { label: 'with digests: streamed', read: (f: TargetFilter) => allStreamed(withDigests, f) },
    ];
    // One untimed answer per way first: the first answers of a code path run before V8 has
    // compiled it (two to four times slower here), which a warm function has long done.
    for (const mode of modes) await mode.read({ targetId: target(runs), from: daysAgo(30) });
    const server = serverCpu(dynamo?.pid ?? localDynamoPid(endpoint));
    const times = modes.map(() => [] as number[]);
    const cpu = modes.map(() => ({ reader: 0, server: 0 }));
    let targetEvents = 0;
    for (let i = 0; i < runs; i++) {
      const filter = { targetId: target(i), from: daysAgo(30) };
      for (const [m, mode] of modes.entries()) {
        const [c0, s0, t0] = [process.cpuUsage(), server(), performance.now()];
        const n = await mode.read(filter);
        times[m]?.push(performance.now() - t0);
        const used = process.cpuUsage(c0);
        const spent = cpu[m];
        if (spent) {
          spent.reader += (used.user + used.system) / 1000;
          spent.server += server() - s0;
        }
        if (m === 0) targetEvents += n;
      }
    }
    console.log(
      `one target's last 30 days (${runs} runs each, interleaved, ${(targetEvents / runs).toFixed(0)} events on average; ` +
        `CPU per answer: this reader's process${server() > 0 ? ', DynamoDB Local' : ''}):`,
    );
    for (const [m, mode] of modes.entries()) {
      const sorted = [...(times[m] ?? [])].sort((a, b) => a - b);
      const { reader, server: store } = cpu[m] ?? { reader: 0, server: 0 };
      console.log(
        `  ${mode.label}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms; ` +
          `CPU ${(reader / runs).toFixed(0)} ms${store > 0 ? ` + ${(store / runs).toFixed(0)} ms` : ''}`,
      );
    }
    // Requests are numbered in generation order; every request has at least two events, so
    // the first tenth of `--events` numbers are all requests that exist.
    const requestCount = Math.max(1, Math.floor(total / 10));
    const request = (i: number) => `req-${String((i * 104_729) % requestCount).padStart(9, '0')}`;
    await timeQueries(reader, "one request's timeline", runs, (i) => ({ requestId: request(i) }), end);

    const out = join(dir, 'export.csv');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--export-child',
        '--endpoint',
        endpoint,
        '--table',
        names.audit,
        '--now',
        end.toISOString(),
        '--days',
        String(num('days')),
        '--export',
        String(num('export')),
        '--out',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) throw new Error(`export child exited with ${code}`);
    const result = JSON.parse(output.trim().split('\n').at(-1) as string) as {
      count: number;
      seconds: number;
      peakRss: number;
      peakHeap: number;
      maxRssKb: number;
    };
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
    console.log(
      `CSV export of ${result.count} events: ${result.seconds.toFixed(1)} s ` +
        `(${Math.round(result.count / result.seconds)} events/s), peak RSS ${mb(result.maxRssKb * 1024)}, ` +
        `peak heap ${mb(result.peakHeap)}, file ${mb((await stat(out)).size)}`,
    );
  } finally {
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
