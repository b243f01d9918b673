import {
  activityDetail,
  activityFromDetail,
  isSessionRecord,
  summariseActivity,
  type ActivityLookup,
  type ActivityRecord,
  type ActivitySummary,
  type GrantSession,
  type StoredWatermark,
  type SweepWatermarks,
  type TokenBucket,
} from '../domain/activity.js';
import type { AuditEvent } from '../domain/audit.js';
import type { AuditReader } from '../domain/audit-query.js';
import { isLive } from '../domain/lifecycle.js';
import type { AuditLog, Clock, EventPublisher, RequestStore } from '../domain/ports.js';
import type { AccessRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';

export type { ActivityLookup, GrantSession } from '../domain/activity.js';

export interface ActivityDeps {
  readonly store: Pick<RequestStore, 'get'>;
  readonly audit: AuditLog;
  readonly lookup: ActivityLookup;
  /** Shared by every lookup of a process: LookupEvents allows ~2 calls/s per account and Region. */
  readonly budget: TokenBucket;
  readonly clock: Clock;
  /** Waits for the budget to refill (tests: advances their clock). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly events: EventPublisher;
  /**
   * The sessions of a grant: a role grant's one role session, a permission-set grant's
   * Identity Center session in each of its accounts; undefined for grants that have none.
   */
  readonly sessionOf: (
    request: AccessRequest,
  ) => GrantSessions | undefined | Promise<GrantSessions | undefined>;
  /** The Regions whose CloudTrail is looked up (LookupEvents is regional). */
  readonly regions: readonly string[];
}

export interface ActivityRunOptions {
  /** When this run must stop waiting for the budget: what is left is deferred to a later run. */
  readonly deadline: Date;
  /** Pages per grant and Region at most (50 records each); beyond, the summary says truncated. */
  readonly maxPages?: number;
}

export const DEFAULT_ACTIVITY_MAX_PAGES = 20;

/** One session, or the sessions of a grant over several accounts (summarised together). */
export type GrantSessions = GrantSession | readonly GrantSession[];

export type ActivityOutcome =
  | { readonly outcome: 'summarised'; readonly summary: ActivitySummary; readonly event: AuditEvent }
  /** The run's budget was spent before the lookup finished; nothing was stored. */
  | { readonly outcome: 'deferred' }
  | { readonly outcome: 'skipped'; readonly reason: string };

/**
 * Looks up what was done with a grant (CloudTrail `LookupEvents` by each of its sessions'
 * names, in the session's account and each Region, within its window, paged and budgeted;
 * only the records of the session kept, see {@link isSessionRecord}), stores the bounded summary as a standalone
 * `grant.activity-summarised` audit event and publishes it (the grant's Slack thread, the
 * break-glass review message). Invariant: a lookup that cannot finish within the budget
 * stores nothing and returns `deferred`, so the grant stays due for the next sweep.
 * A grant still live is summarised up to now (on demand only: the sweep takes ended grants).
 */
export async function summariseGrantActivity(
  deps: ActivityDeps,
  requestId: string,
  options: ActivityRunOptions,
): Promise<ActivityOutcome> {
  const request = await deps.store.get(requestId);
  if (!request) return { outcome: 'skipped', reason: `no request ${requestId}` };
  const found = await deps.sessionOf(request);
  const sessions: readonly GrantSession[] = found === undefined ? [] : 'account' in found ? [found] : found;
  if (sessions.length === 0)
    return { outcome: 'skipped', reason: `${request.targetId} issues no role session` };
  if (request.startsAt === undefined) return { outcome: 'skipped', reason: 'the grant never started' };
  const window = activityWindow(request, deps.clock.now());
  const records: ActivityRecord[] = [];
  let truncated = false;
  const maxPages = options.maxPages ?? DEFAULT_ACTIVITY_MAX_PAGES;
  for (const session of sessions) {
    for (const region of deps.regions) {
      let nextToken: string | undefined;
      let pages = 0;
      do {
        if (pages >= maxPages) {
          truncated = true;
          break;
        }
        if (!(await takeToken(deps, `${session.account}/${region}`, options.deadline)))
          return { outcome: 'deferred' };
        const page = await deps.lookup.lookup({
          account: session.account,
          region,
          username: session.sessionName,
          from: new Date(window.from),
          to: new Date(window.to),
          ...(nextToken === undefined ? {} : { nextToken }),
        });
        pages++;
        for (const record of page.records)
          if (isSessionRecord(record, session)) records.push({ ...record, account: session.account });
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    }
  }
  // Per-account counts where the grant's sessions name accounts of their own (Identity Center).
  const perAccount = sessions.length > 1 || sessions.some((s) => s.roleNamePrefix !== undefined);
  const summary = summariseActivity(
    records,
    { ...window, ...(perAccount ? { accounts: sessions.map((s) => s.account) } : {}) },
    truncated,
  );
  const event = await deps.audit.append(
    auditOf(request, 'grant.activity-summarised', {
      at: deps.clock.now(),
      actor: 'system:activity',
      detail: activityDetail(summary),
    }),
  );
  await deps.events.publish({ kind: 'activity-summarised', request, summary });
  return { outcome: 'summarised', summary, event };
}

/** From the grant's start to its end (or now, for a live grant); denied calls after a revoke included. */
export function activityWindow(request: AccessRequest, now: Date): { from: string; to: string } {
  const from = request.startsAt ?? request.createdAt;
  const end = isLive(request.status)
    ? now.toISOString()
    : ([request.endsAt ?? request.updatedAt, request.updatedAt].sort().at(-1) ?? request.updatedAt);
  return { from, to: end < now.toISOString() ? end : now.toISOString() };
}

/** One token of the budget, waiting for it while the run's deadline allows; false when it does not. */
async function takeToken(deps: ActivityDeps, key: string, deadline: Date): Promise<boolean> {
  for (;;) {
    const now = deps.clock.now().getTime();
    const wait = deps.budget.take(key, now);
    if (wait === 0) return true;
    if (now + wait > deadline.getTime()) return false;
    await deps.sleep(wait);
  }
}

/** The audit events that end a grant (its activity can be summarised once it settled). */
const END_TYPES: ReadonlySet<string> = new Set(['grant.expired', 'grant.revoked', 'grant.released']);

export interface ActivitySweepOptions extends ActivityRunOptions {
  /** How far back ended grants are looked for (days of the by-day index). */
  readonly lookbackDays: number;
  /** CloudTrail delivers within ~15 minutes: a grant is summarised this long after it ended. */
  readonly settleSeconds: number;
}

/**
 * How far behind the run's start the watermark is kept at most: an event being written while
 * the run read (its time taken before its transaction committed, or not yet in the by-day
 * index) is read again by the next run rather than passed over.
 */
export const WATERMARK_OVERLAP_MS = 60_000;

/**
 * The periodic run: every role grant that ended in the last `lookbackDays` (and at least
 * `settleSeconds` ago) without a `grant.activity-summarised` event is summarised, oldest end
 * first. The audit trail is the queue (read through the by-day index): a grant deferred when
 * the run's budget is spent is found again by the next run, never dropped.
 *
 * With `deps.watermarks`, a run reads only what is new: from where the last run stopped (its
 * start less WATERMARK_OVERLAP_MS, held back to the end of the oldest grant it deferred, failed
 * or found not yet settled), within the lookback. A missing, unreadable or future watermark means the whole lookback. A grant due
 * but summarised outside the read window (on demand, while live) is not summarised again.
 */
export async function sweepGrantActivity(
  deps: ActivityDeps & { readonly reader: AuditReader; readonly watermarks?: SweepWatermarks },
  options: ActivitySweepOptions,
): Promise<ActivitySweepResult> {
  const now = deps.clock.now();
  const settled = new Date(now.getTime() - options.settleSeconds * 1000).toISOString();
  const lookback = new Date(now.getTime() - options.lookbackDays * 86_400_000).toISOString();
  const stored = deps.watermarks ? await readWatermark(deps.watermarks) : undefined;
  const mark = usableWatermark(stored, now);
  const from = mark !== undefined && mark > lookback ? mark : lookback;
  const ended = new Map<string, string>();
  const done = new Set<string>();
  let read = 0;
  /** The end of the oldest grant not yet settled: the next run must read it again. */
  let unsettled: string | undefined;
  for await (const event of deps.reader.stream({ from }, now)) {
    read++;
    if (event.type === 'grant.activity-summarised') done.add(event.requestId);
    else if (END_TYPES.has(event.type)) {
      if (event.at <= settled) ended.set(event.requestId, event.at);
      else if (unsettled === undefined || event.at < unsettled) unsettled = event.at;
    }
  }
  const due = [...ended].filter(([id]) => !done.has(id)).sort((a, b) => (a[1] < b[1] ? -1 : 1));
  const result: ActivitySweepResult = {
    summarised: [],
    deferred: [],
    skipped: [],
    ...(deps.watermarks ? { read, from } : {}),
  };
  for (const [requestId] of due) {
    if (result.deferred.length > 0 || result.failed) {
      result.deferred.push(requestId);
      continue;
    }
    try {
      // Why: a summary older than the read window (on demand, while the grant was live) still counts.
      if (from !== lookback && (await storedActivitySummary(deps.reader, requestId, now))) continue;
      const outcome = await summariseGrantActivity(deps, requestId, options);
      result[outcome.outcome].push(requestId);
    } catch (error) {
      // Why: CloudTrail failing (after the SDK's retries) leaves this grant and the rest due
      // for the next run; nothing was stored, so nothing is lost.
      result.failed = { requestId, error: (error as Error).message };
    }
  }
  if (deps.watermarks && stored) {
    // Held back to the oldest grant still due: the next run reads its end event again.
    const held = [...result.deferred, ...(result.failed ? [result.failed.requestId] : [])].map(
      (id) => ended.get(id) as string,
    );
    const horizon = new Date(now.getTime() - WATERMARK_OVERLAP_MS).toISOString();
    const next = [horizon, ...held, ...(unsettled === undefined ? [] : [unsettled])].sort()[0] as string;
    if (next !== stored.at) await deps.watermarks.advance(next, stored);
  }
  return result;
}

/** The stored watermark, or undefined when it cannot be read (the run then reads its lookback and stores nothing). */
async function readWatermark(watermarks: SweepWatermarks): Promise<StoredWatermark | undefined> {
  try {
    return await watermarks.read();
  } catch {
    return undefined;
  }
}

/** The stored time when it is one (normalised ISO-8601, not in the future); otherwise undefined. */
function usableWatermark(stored: StoredWatermark | undefined, now: Date): string | undefined {
  if (stored?.at === undefined) return undefined;
  const at = Date.parse(stored.at);
  if (Number.isNaN(at) || at > now.getTime() || new Date(at).toISOString() !== stored.at) return undefined;
  return stored.at;
}

/** What one periodic run did: grants summarised, left for the next run, skipped (no role session). */
export interface ActivitySweepResult {
  summarised: string[];
  /** Due but not looked up (the run's budget was spent, or a lookup failed): the next run takes them. */
  deferred: string[];
  skipped: string[];
  /** Audit events the run read to find ended grants (a quiet run after a watermark reads ~none). */
  read?: number;
  /** Where the run started reading the audit trail (the watermark, or the lookback). */
  from?: string;
  /** The lookup that failed and stopped the run (it stays due, like the deferred ones). */
  failed?: { readonly requestId: string; readonly error: string };
}

/**
 * The latest stored summary of a grant (read through the by-request index), or undefined
 * when it has none yet.
 */
export async function storedActivitySummary(
  reader: AuditReader,
  requestId: string,
  now: Date,
): Promise<ActivitySummary | undefined> {
  // The stream is newest first: the first summary found is the latest.
  for await (const event of reader.stream({ requestId }, now)) {
    if (event.type === 'grant.activity-summarised') return activityFromDetail(event.detail);
  }
  return undefined;
}
