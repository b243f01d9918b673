import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { createAuditReader } from '../../shared/adapters/dynamodb/audit-reader.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import type { AuditDigestStore } from '../../shared/domain/audit-digest.js';
import {
  parseAuditFilter,
  type AuditChainReader,
  type AuditReader,
} from '../../shared/domain/audit-query.js';
import { BrokerError, ValidationError } from '../../shared/domain/errors.js';
import type { Clock } from '../../shared/domain/ports.js';
import { exportAudit } from '../../shared/usecases/query-audit.js';
import { verifyAudit, type DigestCheck, type VerifyAuditResult } from '../../shared/usecases/verify-audit.js';
import { FORMATS, writeEvents } from '../../shared/adapters/audit-format/audit-format.js';
import { loadAnchorPublicKey, openAnchorStore } from '../../shared/adapters/anchors/open-anchors.js';
import type { AnchorStore } from '../../shared/domain/anchors.js';
import { verifyAnchoredAudit, type VerifyAnchoredResult } from '../../shared/usecases/verify-anchors.js';
import { createPolicyVersionStore } from '../../shared/adapters/dynamodb/policy-versions.js';
import { loadPolicyVersion } from '../../shared/config/policy-file.js';
import type { PolicyVersionStore } from '../../shared/domain/ports.js';
import type { Explanation } from '../../shared/domain/provenance.js';
import { explainDecision } from '../../shared/usecases/explain-decision.js';
import { sparkline, type AccessReview } from '../../shared/domain/access-review.js';
import { reportAccessReview } from '../../shared/usecases/access-review-report.js';
import { openArchiveStore } from '../../shared/adapters/archive/open-archive.js';
import type { ArchiveStore } from '../../shared/domain/archive.js';
import { activityText, type ActivitySummary } from '../../shared/domain/activity.js';
import {
  storedActivitySummary,
  summariseGrantActivity,
  type ActivityDeps,
} from '../../shared/usecases/summarise-activity.js';
import { createActivityWiring } from '../wiring/activity-wiring.js';
import { createBaseWiring } from '../wiring/base-wiring.js';
import {
  checkArchiveGaps,
  replayArchive,
  type ArchiveGapReport,
} from '../../shared/usecases/archive-audit.js';

/** Exit codes: 0 fine, 1 the trail failed verification, 2 bad input, 3 anything else. */
export const EXIT = { ok: 0, verifyFailed: 1, badInput: 2, error: 3 } as const;

export const USAGE = `Usage:
  jit-audit query  [filters] [--format table|jsonl|csv] [--limit N]
  jit-audit verify [--format table|json]
  jit-audit verify --anchored --anchors <dir|s3://bucket/prefix> (--public-key FILE | --kms-key ID)
  jit-audit verify --archive <dir|s3://bucket> [--from DAY] [--to DAY]
  jit-audit explain <requestId> [--policy FILE] [--format table|json]
  jit-audit archive replay --archive <dir|s3://bucket> --from TIME [--to TIME]
  jit-audit report --from TIME --to TIME [--format table|json]
  jit-audit activity <requestId> [--format table|json]

Filters (all given must hold; newest events first):
  --person U123        whose access (Slack user id of the requester)
  --target ID          the access-policy target id
  --request ID         one request's history
  --status STATUS      events that moved a request to STATUS (PENDING, APPROVED, ACTIVE,
                       EXPIRED, REVOKED, DENIED, CANCELLED, TIMED_OUT, FAILED)
  --break-glass        break-glass events only (--no-break-glass: none of them)
  --from TIME          from this time on (inclusive), e.g. 2026-03-01 or 2026-03-01T12:00:00Z
  --to TIME            before this time (exclusive)
A query with no person, target, request, status or break-glass filter needs --from.
--limit caps how many events are written (default: all of them, streamed).

verify --anchored also checks every chain against every signed anchor (digests of all chain
heads): each anchor's signature must verify with the public key (a PEM or DER file exported
from KMS, for offline checks, or fetched with --kms-key), and each anchored (seq, hash) must
still be in the table. It catches a rewrite of events and heads that is consistent with itself.

verify --archive compares, day by day, the events the table holds with the objects the
archive holds under events/dt=DAY/ and reports every day that differs (a missing day, lost
events). archive replay re-exports a time range from the table to the archive, to the same
object keys (one per event), so it fills gaps and never duplicates.

explain replays every decision of a request (submission, approvals, denial, break-glass)
against the policy version that was in force (kept in the audit table by its SHA-256) and
prints, step by step, why it was allowed or refused and whether the replay reproduces the
recorded outcome (exit 1 when it does not). --policy (default: POLICY_PATH when set) also
says what the policy in that file would decide today.

report is the periodic access review of [--from, --to): per target who had access, how often
and for how long, with a sparkline of grants per day, and the standing members the drift
reconciler found in its group; break-glass grants still unreviewed;
approvals by approver; approval latency p50/p95; grants of the period whose CloudTrail
activity summary counted no call (never used), and how many have no summary (use unknown).
It reads the period through the by-day index.

activity prints what was done with a role grant: its CloudTrail activity summary (calls by
service, reads, writes, denied calls, console sign-ins), as stored in the trail. When the
grant has none yet it is built now (CloudTrail LookupEvents by the session's name, within
the grant's window, ~2 calls/s) and stored; that needs REQUESTS_TABLE_NAME and POLICY_PATH
too, and ACTIVITY_REGIONS when CloudTrail is read in other Regions than AWS_REGION.

Environment: AUDIT_TABLE_NAME (required), AWS_REGION, and the usual AWS credentials;
AUDIT_DIGESTS_TABLE_NAME (optional) names the audit digests table: a target's query then
reads the closed days the digests cover from it, and verify also checks every digest
against the trail; AWS_ENDPOINT_URL_DYNAMODB points at another endpoint (DynamoDB Local).
Exit codes: 0 ok, 1 verification failed, 2 bad input, 3 other error.
`;

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What the commands need; built from the environment unless a test passes its own. */
export interface CliDeps {
  readonly reader: AuditReader & AuditChainReader;
  /** The audit digests (AUDIT_DIGESTS_TABLE_NAME): `verify` checks them against the trail. */
  readonly digests?: Pick<AuditDigestStore, 'span' | 'readAll'>;
  readonly clock: Clock;
  /** The audit table's name (anchors name the table they vouch for). */
  readonly table?: string;
  /** Opens the anchors at an `--anchors` location; default: a folder or an S3 URL. */
  readonly openAnchors?: (location: string) => Pick<AnchorStore, 'list'>;
  /** The kept policy versions (explain); default: the audit table's. */
  readonly versions?: PolicyVersionStore;
  /** Opens the archive at an `--archive` location; default: a folder or an S3 URL. */
  readonly openArchive?: (location: string) => ArchiveStore;
  /** The activity lookups (activity, when no summary is stored); default: from the environment. */
  readonly activity?: () => ActivityDeps;
}

/**
 * Wiring for the real CLI: the audit table (and the digests table, when set) from the
 * environment, the SDK's own endpoint settings.
 */
function depsFromEnv(env: CliIo['env']): CliDeps {
  const config = readEnv(
    {
      [ENV.auditTable]: z.string({ error: 'is required (the audit table name)' }).min(1, 'is required'),
      [ENV.auditDigestsTable]: z
        .string()
        .min(1, 'must not be empty (unset it to read without digests)')
        .optional(),
    },
    env,
  );
  const reader = createAuditReader({
    tableName: config[ENV.auditTable] as string,
    digestsTableName: config[ENV.auditDigestsTable],
  });
  return {
    reader,
    ...(reader.digests ? { digests: reader.digests } : {}),
    clock: { now: () => new Date() },
    table: config[ENV.auditTable] as string,
    versions: createPolicyVersionStore(config[ENV.auditTable] as string),
    // Built only when a summary must be looked up: it needs the requests table and the policy.
    activity: () => createActivityWiring(createBaseWiring({ env }), { publish: async () => undefined }),
  };
}

const OPTIONS = {
  person: { type: 'string' },
  target: { type: 'string' },
  request: { type: 'string' },
  status: { type: 'string' },
  'break-glass': { type: 'boolean' },
  'no-break-glass': { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  format: { type: 'string' },
  anchored: { type: 'boolean' },
  anchors: { type: 'string' },
  'public-key': { type: 'string' },
  'kms-key': { type: 'string' },
  policy: { type: 'string' },
  archive: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * The auditors' CLI. `query` streams every matching event to stdout (memory stays flat);
 * `verify` checks every hash chain and exits 1 on the first break of any chain.
 */
export async function main(argv: readonly string[], io: CliIo, deps?: CliDeps): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(io, EXIT.badInput, `${(error as Error).message}\nRun jit-audit --help for usage.`);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    io.stdout.write(USAGE);
    return command === undefined && !values.help ? EXIT.badInput : EXIT.ok;
  }
  const arity = command === 'explain' || command === 'archive' || command === 'activity' ? 2 : 1;
  if ((command === 'explain' || command === 'activity') && positionals.length < 2) {
    return fail(io, EXIT.badInput, `${command} needs a request id (jit-audit ${command} <requestId>)`);
  }
  if (positionals.length > arity)
    return fail(io, EXIT.badInput, `unexpected argument "${positionals[arity]}"`);
  try {
    if (command === 'archive') {
      if (positionals[1] !== 'replay') return fail(io, EXIT.badInput, 'archive takes one command: replay');
      return await archiveReplay(values, io, () => deps ?? depsFromEnv(io.env));
    }
    if (command === 'explain') {
      return await explain(positionals[1] as string, values, io, () => deps ?? depsFromEnv(io.env));
    }
    if (command === 'activity') {
      return await activity(positionals[1] as string, values, io, () => deps ?? depsFromEnv(io.env));
    }
    if (command === 'report') return await report(values, io, () => deps ?? depsFromEnv(io.env));
    if (command === 'query') return await query(values, io, () => deps ?? depsFromEnv(io.env));
    if (command === 'verify') return await verify(values, io, () => deps ?? depsFromEnv(io.env));
    return fail(
      io,
      EXIT.badInput,
      `unknown command "${command}" (query, verify, explain, archive, report or activity; --help for usage)`,
    );
  } catch (error) {
    if ((error as { code?: string }).code === 'EPIPE') return EXIT.ok; // the reader went away (| head)
    if (error instanceof ValidationError) return fail(io, EXIT.badInput, error.message);
    if (error instanceof BrokerError) return fail(io, EXIT.error, `${error.code}: ${error.message}`);
    return fail(io, EXIT.error, `${(error as Error).name}: ${(error as Error).message}`);
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

async function report(values: Values, io: CliIo, wire: () => CliDeps): Promise<number> {
  const format = formatOf(values.format, ['table', 'json'] as const, 'table');
  if (values.from === undefined || values.to === undefined)
    throw new ValidationError('report needs --from and --to.');
  const period = { from: values.from, to: values.to };
  parseAuditFilter(period); // bad input is reported before any wiring or read
  const review = await reportAccessReview(wire(), period);
  io.stdout.write(format === 'json' ? `${JSON.stringify(review)}\n` : accessReviewReport(review));
  return EXIT.ok;
}

/** How long an on-demand lookup may wait for the LookupEvents budget. */
const ON_DEMAND_BUDGET_MS = 60_000;

async function activity(requestId: string, values: Values, io: CliIo, wire: () => CliDeps): Promise<number> {
  const format = formatOf(values.format, ['table', 'json'] as const, 'table');
  const deps = wire();
  const stored = await storedActivitySummary(deps.reader, requestId, deps.clock.now());
  let summary: ActivitySummary | undefined = stored;
  if (summary === undefined) {
    if (deps.activity === undefined) throw new ValidationError('activity needs the activity lookups.');
    const lookups = deps.activity();
    const outcome = await summariseGrantActivity(lookups, requestId, {
      deadline: new Date(lookups.clock.now().getTime() + ON_DEMAND_BUDGET_MS),
    });
    if (outcome.outcome === 'skipped')
      return fail(io, EXIT.badInput, `no activity summary: ${outcome.reason}`);
    if (outcome.outcome === 'deferred')
      return fail(io, EXIT.error, 'the LookupEvents budget ran out; try again in a minute');
    summary = outcome.summary;
  }
  const built = stored === undefined;
  io.stdout.write(
    format === 'json'
      ? `${JSON.stringify({ requestId, built, summary })}\n`
      : activityReport(requestId, summary, built),
  );
  return EXIT.ok;
}

/** The activity summary as text: the one-line summary, the window, then one line per service. */
export function activityReport(requestId: string, summary: ActivitySummary, built: boolean): string {
  const lines = [
    `Activity of ${requestId} (CloudTrail, ${summary.from} to ${summary.to}${built ? ', looked up now' : ''})`,
    activityText(summary),
    ...summary.byService.map(([service, calls]) => `  ${service.padEnd(24)} ${calls}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `2h 5m` from seconds (whole minutes; `0m` for nothing). */
function hoursMinutes(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h}h ${minutes % 60}m` : `${minutes}m`;
}

/** The access review as text: one block per target (with its sparkline), then the findings. */
export function accessReviewReport(review: AccessReview): string {
  const seconds = (s: number | undefined) => (s === undefined ? 'n/a' : hoursMinutes(s));
  const lines = [
    `Access review ${review.from} to ${review.to}`,
    '',
    ...review.targets.flatMap((t) => [
      `${t.targetId}  ${t.grants} grants, ${hoursMinutes(t.seconds)}  ${sparkline(t.perDay)}`,
      ...t.people.map((p) => `  ${p.subject}  ${p.grants} grants, ${hoursMinutes(p.seconds)}`),
      ...(t.standingMembers ?? []).map(
        (m) =>
          `  standing (drift): ${m.member} in ${m.group}, first seen ${m.firstSeen}, ${m.removed ? 'removed' : 'not removed'}`,
      ),
    ]),
    ...(review.targets.length === 0 ? ['No access was granted in the period.'] : []),
    '',
    `Break-glass not reviewed: ${review.unreviewedBreakGlass.length}`,
    ...review.unreviewedBreakGlass.map((g) => `  ${g.requestId}  ${g.subject} on ${g.targetId} at ${g.at}`),
    `Approvals by approver: ${review.approvalsByApprover.map(([a, n]) => `${a} ${n}`).join(', ') || 'none'}`,
    `Approval latency (${review.approvalLatency.count} approvals): p50 ${seconds(review.approvalLatency.p50)}, p95 ${seconds(review.approvalLatency.p95)}`,
    `Grants never used: ${review.neverUsed.length}`,
    ...review.neverUsed.map((g) => `  ${g.requestId}  ${g.subject} on ${g.targetId}`),
    `Grants of unknown use (no activity summary): ${review.usageUnknown.length}`,
  ];
  return `${lines.join('\n')}\n`;
}

async function query(values: Values, io: CliIo, wire: () => CliDeps): Promise<number> {
  const format = formatOf(values.format, FORMATS, 'table');
  if (values['break-glass'] && values['no-break-glass']) {
    throw new ValidationError('--break-glass and --no-break-glass exclude each other.');
  }
  const max = values.limit === undefined ? undefined : positiveInt(values.limit);
  const filter = {
    ...(values.person === undefined ? {} : { person: values.person }),
    ...(values.target === undefined ? {} : { target: values.target }),
    ...(values.request === undefined ? {} : { requestId: values.request }),
    ...(values.status === undefined ? {} : { status: values.status.toUpperCase() }),
    ...(values['break-glass'] ? { breakGlass: true } : {}),
    ...(values['no-break-glass'] ? { breakGlass: false } : {}),
    ...(values.from === undefined ? {} : { from: values.from }),
    ...(values.to === undefined ? {} : { to: values.to }),
  };
  parseAuditFilter(filter); // bad input is reported before any wiring or read
  const deps = wire();
  const events = exportAudit(deps, filter, max === undefined ? {} : { max });
  await writeEvents(events, format, io.stdout);
  return EXIT.ok;
}

async function verify(values: Values, io: CliIo, wire: () => CliDeps): Promise<number> {
  const format = formatOf(values.format, ['table', 'json'] as const, 'table');
  if (values.archive !== undefined) return verifyArchive(values, io, wire);
  if (!values.anchored) {
    for (const option of ['anchors', 'public-key', 'kms-key'] as const) {
      if (values[option] !== undefined) throw new ValidationError(`--${option} goes with --anchored.`);
    }
    const deps = wire();
    const result = await verifyAudit({
      chains: deps.reader,
      clock: deps.clock,
      ...(deps.digests ? { digests: { store: deps.digests, trail: deps.reader } } : {}),
    });
    io.stdout.write(format === 'json' ? `${JSON.stringify(result)}\n` : verifyReport(result));
    return result.ok ? EXIT.ok : EXIT.verifyFailed;
  }
  if (values.anchors === undefined)
    throw new ValidationError('--anchored needs --anchors <dir|s3://bucket/prefix>.');
  if (values['public-key'] !== undefined && values['kms-key'] !== undefined) {
    throw new ValidationError('--public-key and --kms-key exclude each other.');
  }
  // Why: the key comes from the auditor, never from the anchors, which name a key id anyone could write.
  const publicKey = await loadAnchorPublicKey({
    ...(values['public-key'] === undefined ? {} : { file: values['public-key'] }),
    ...(values['kms-key'] === undefined ? {} : { kmsKeyId: values['kms-key'] }),
  });
  const deps = wire();
  if (deps.table === undefined) throw new ValidationError(`--anchored needs ${ENV.auditTable}.`);
  const result = await verifyAnchoredAudit({
    chains: deps.reader,
    clock: deps.clock,
    anchors: (deps.openAnchors ?? openAnchorStore)(values.anchors),
    publicKey,
    table: deps.table,
    ...(deps.digests ? { digests: { store: deps.digests, trail: deps.reader } } : {}),
  });
  io.stdout.write(format === 'json' ? `${JSON.stringify(result)}\n` : anchoredReport(result));
  return result.ok ? EXIT.ok : EXIT.verifyFailed;
}

async function explain(requestId: string, values: Values, io: CliIo, wire: () => CliDeps): Promise<number> {
  const format = formatOf(values.format, ['table', 'json'] as const, 'table');
  const policyPath = values.policy ?? io.env[ENV.policyPath];
  const current = policyPath === undefined ? undefined : loadPolicyVersion(policyPath).version;
  const deps = wire();
  const { versions } = deps;
  if (versions === undefined) throw new ValidationError(`explain needs ${ENV.auditTable}.`);
  const explanation = await explainDecision(
    { reader: deps.reader, versions, clock: deps.clock, ...(current ? { current } : {}) },
    requestId,
  );
  io.stdout.write(format === 'json' ? `${JSON.stringify(explanation)}\n` : explainReport(explanation));
  return explanation.decisions.some((d) => d.verdict === 'differs') ? EXIT.verifyFailed : EXIT.ok;
}

async function verifyArchive(values: Values, io: CliIo, wire: () => CliDeps): Promise<number> {
  const format = formatOf(values.format, ['table', 'json'] as const, 'table');
  const day = (name: 'from' | 'to') => {
    const value = values[name];
    if (value === undefined) return {};
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
      throw new ValidationError(`--${name} must be a day (YYYY-MM-DD).`);
    return { [name]: value };
  };
  const range = { ...day('from'), ...day('to') };
  const deps = wire();
  const store = (deps.openArchive ?? openArchiveStore)(values.archive as string);
  const report = await checkArchiveGaps({ chains: deps.reader, store, clock: deps.clock }, range);
  io.stdout.write(format === 'json' ? `${JSON.stringify(report)}\n` : archiveReport(report));
  return report.ok ? EXIT.ok : EXIT.verifyFailed;
}

/** One line per day that differs, then the verdict. */
export function archiveReport(report: ArchiveGapReport): string {
  const total = report.days.reduce((n, d) => n + d.table, 0);
  const lines = [
    ...report.gaps.map((g) => `GAP  ${g.message}`),
    report.ok
      ? `OK: the archive holds all ${total} events of ${report.days.length} days.`
      : `FAILED: ${report.gaps.length} of ${report.days.length} days differ between the table and the archive.`,
  ];
  return `${lines.join('\n')}\n`;
}

async function archiveReplay(values: Values, io: CliIo, wire: () => CliDeps): Promise<number> {
  if (values.archive === undefined)
    throw new ValidationError('archive replay needs --archive <dir|s3://bucket>.');
  if (values.from === undefined) throw new ValidationError('archive replay needs --from.');
  const range = parseAuditFilter({
    from: values.from,
    ...(values.to === undefined ? {} : { to: values.to }),
  });
  const deps = wire();
  const store = (deps.openArchive ?? openArchiveStore)(values.archive);
  const { replayed } = await replayArchive(
    { reader: deps.reader, clock: deps.clock, store },
    { from: range.from as string, ...(range.to === undefined ? {} : { to: range.to }) },
  );
  io.stdout.write(`Replayed ${replayed} events to ${values.archive}.\n`);
  return EXIT.ok;
}

/** The explanation as lines: the request's events in order, each decision's steps indented. */
export function explainReport(explanation: Explanation): string {
  const { decisions } = explanation;
  const verdict = explanation.reproduced
    ? `REPRODUCED: all ${decisions.length} decisions of ${explanation.requestId} replay to their recorded outcome.`
    : decisions.some((d) => d.verdict === 'differs')
      ? `DIFFERS: a replayed decision of ${explanation.requestId} does not give its recorded outcome.`
      : `UNKNOWN: ${decisions.filter((d) => d.verdict === 'unknown').length} of ${decisions.length} decisions cannot be replayed.`;
  return `${explanation.steps.map((s) => s.text).join('\n')}\n${verdict}\n`;
}

/** The plain report, then one line per anchor finding and the anchors' verdict. */
export function anchoredReport(result: VerifyAnchoredResult): string {
  const { anchors } = result;
  const lines = [
    verifyReport({
      ...result,
      ok:
        result.breaks.length === 0 &&
        result.misplaced.length === 0 &&
        (result.digests?.findings.length ?? 0) === 0,
    }).trimEnd(),
    ...anchors.findings.map((f) =>
      f.expected === undefined
        ? `ANCHOR  ${f.message}`
        : `ANCHOR  ${f.message}; anchored ${f.expected}, table ${f.actual ?? '(no event)'}`,
    ),
    anchors.findings.length === 0
      ? `OK: every chain extends ${anchors.checked} signed anchors (newest ${anchors.newest ?? 'none'}).`
      : `FAILED: ${anchors.findings.length} anchor findings (${anchors.checked} signed anchors checked).`,
  ];
  return `${lines.join('\n')}\n`;
}

/** A human report: one line per chain, then misplaced events and warnings, then the verdict. */
export function verifyReport(result: VerifyAuditResult): string {
  const rows = [
    ...result.chains.map((c) =>
      c.break
        ? `${c.chain}  BROKEN at #${c.break.seq} (${c.break.kind}): ${c.break.message}`
        : `${c.chain}  ok  ${c.verified} events, head #${c.head.seq}`,
    ),
    ...result.misplaced.map((m) => `MISPLACED  ${m.message}`),
    ...(result.digests ? digestRows(result.digests) : []),
    ...result.warnings.map((w) => `WARNING  ${w}`),
  ];
  const total = result.chains.reduce((n, c) => n + c.verified, 0);
  const failures = [
    ...(result.breaks.length > 0 ? [`${result.breaks.length} of ${result.chains.length} chains broken`] : []),
    ...(result.misplaced.length > 0
      ? [`${result.misplaced.length} events outside their request's chain`]
      : []),
    ...((result.digests?.findings.length ?? 0) > 0
      ? [`${result.digests?.findings.length} audit digests differ from the trail or cannot be read`]
      : []),
  ];
  const verdict = result.ok
    ? `OK: ${total} events in ${result.chains.length} chains verified.`
    : `FAILED: ${failures.join('; ')}.`;
  return `${rows.join('\n')}\n${verdict}\n`;
}

/** The digest check's lines: what the span covers and each finding. */
function digestRows(check: DigestCheck): string[] {
  if (check.span === undefined)
    return check.findings.length > 0
      ? check.findings.map((f) => `DIGEST  ${f}`)
      : ['digests  none yet (no closed day digested)'];
  const { since, through } = check.span;
  return [
    `digests  ${check.findings.length > 0 ? 'FAILED' : 'ok'}  ${check.verified} target-days match the trail, ${since} to ${through}`,
    ...check.findings.map((f) => `DIGEST  ${f}`),
  ];
}

function formatOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ValidationError(`--format must be one of ${allowed.join(', ')}.`);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new ValidationError('--limit must be a positive whole number.');
  }
  return n;
}

function fail(io: CliIo, code: number, message: string): number {
  io.stderr.write(`jit-audit: ${message.trimEnd()}\n`);
  return code;
}

/** Runs the CLI against the real process (used by bin/jit-audit.js and `tsx functions/cli/audit.ts`). */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
