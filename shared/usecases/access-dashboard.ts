import type { AuditEvent } from '../domain/audit.js';
import type { AuditReader } from '../domain/audit-query.js';
import type { Clock, RequestStore } from '../domain/ports.js';
import type { AccessRequest } from '../domain/request.js';
import { liveGrants } from './live-grants.js';

/** What the dashboard reads: the request store's indexes and the auditors' reader. */
export interface DashboardDeps {
  readonly store: Pick<RequestStore, 'listLiveEndingBefore' | 'listUnreviewedBreakGlass'>;
  readonly reader: AuditReader;
  readonly clock: Clock;
}

export interface KeyCount {
  readonly key: string;
  readonly count: number;
}

/** The figures the console's dashboard draws. */
export interface AccessDashboard {
  /** The start of the period the counts cover (UTC midnight, `days` ago). */
  readonly since: string;
  readonly accessNow: readonly AccessRequest[];
  readonly grantsPerDay: readonly {
    readonly day: string;
    readonly targetId: string;
    readonly count: number;
  }[];
  readonly breakGlassPerWeek: readonly { readonly week: string; readonly count: number }[];
  readonly unreviewedBreakGlass: readonly AccessRequest[];
  readonly approvalLatencySeconds: { readonly p50?: number; readonly p95?: number; readonly n: number };
  readonly topRequesters: readonly KeyCount[];
  readonly topTargets: readonly KeyCount[];
}

/** The longest period a dashboard covers, and how many events of each kind it reads at most. */
export const MAX_DASHBOARD_DAYS = 90;
export const DASHBOARD_EVENT_CAP = 5000;
const TOP = 5;
const DAY_MS = 86_400_000;

/** The `p`-th percentile (0..100) of `values` by nearest rank, or undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** The Monday (UTC) of the week of an ISO time, as YYYY-MM-DD. */
export function weekOf(iso: string): string {
  const day = new Date(`${iso.slice(0, 10)}T00:00:00.000Z`);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

function top(counts: Map<string, number>): KeyCount[] {
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .slice(0, TOP);
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

async function collect(events: AsyncIterable<AuditEvent>): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const event of events) {
    out.push(event);
    if (out.length >= DASHBOARD_EVENT_CAP) break;
  }
  return out;
}

/**
 * The dashboard over the last `days` days: who has access now (the live-by-end index), grants
 * per day and target and the top requesters and targets (events that moved a request to
 * ACTIVE), break-glass per week (break-glass activations) and the unreviewed ones (their
 * index), and the approval latency (submitted → approved by a person, p50/p95). Every read
 * is an index query through the same reader the audit API uses; nothing is scanned, and each
 * kind of event is capped at DASHBOARD_EVENT_CAP.
 */
export async function accessDashboard(deps: DashboardDeps, days = 14): Promise<AccessDashboard> {
  const span = Math.min(Math.max(1, Math.floor(days)), MAX_DASHBOARD_DAYS);
  const now = deps.clock.now();
  const since = new Date(Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00.000Z`) - (span - 1) * DAY_MS);
  const from = since.toISOString();
  const [accessNow, unreviewed, activations, breakGlass, approvals, submissions] = await Promise.all([
    (async () => {
      const out: AccessRequest[] = [];
      for await (const grant of liveGrants(deps.store)) {
        if (grant.startsAt && grant.startsAt <= now.toISOString()) out.push(grant);
      }
      return out;
    })(),
    deps.store.listUnreviewedBreakGlass({ limit: 100 }),
    collect(deps.reader.stream({ status: 'ACTIVE', from }, now)),
    collect(deps.reader.stream({ breakGlass: true, from }, now)),
    collect(deps.reader.stream({ status: 'APPROVED', from }, now)),
    collect(deps.reader.stream({ status: 'PENDING', from }, now)),
  ]);

  const perDay = new Map<string, number>();
  const requesters = new Map<string, number>();
  const targets = new Map<string, number>();
  for (const event of activations) {
    bump(perDay, `${event.at.slice(0, 10)}\u0000${event.targetId}`);
    bump(requesters, event.subject);
    bump(targets, event.targetId);
  }
  const perWeek = new Map<string, number>();
  for (const event of breakGlass) {
    if (event.type === 'break-glass.activated') bump(perWeek, weekOf(event.at));
  }
  const submittedAt = new Map<string, number>();
  for (const event of submissions) {
    if (event.type === 'request.submitted') submittedAt.set(event.requestId, Date.parse(event.at));
  }
  const latencies: number[] = [];
  for (const event of approvals) {
    const submitted = submittedAt.get(event.requestId);
    // Auto-approvals and break-glass took no person's time: only approvals by people count.
    if (event.type === 'request.approved' && submitted !== undefined) {
      latencies.push(Math.max(0, (Date.parse(event.at) - submitted) / 1000));
    }
  }
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  return {
    since: from,
    accessNow,
    grantsPerDay: [...perDay]
      .map(([key, count]) => {
        const [day = '', targetId = ''] = key.split('\u0000');
        return { day, targetId, count };
      })
      .sort((a, b) => a.day.localeCompare(b.day) || a.targetId.localeCompare(b.targetId)),
    breakGlassPerWeek: [...perWeek]
      .map(([week, count]) => ({ week, count }))
      .sort((a, b) => a.week.localeCompare(b.week)),
    unreviewedBreakGlass: unreviewed.items,
    approvalLatencySeconds: {
      ...(p50 === undefined ? {} : { p50 }),
      ...(p95 === undefined ? {} : { p95 }),
      n: latencies.length,
    },
    topRequesters: top(requesters),
    topTargets: top(targets),
  };
}
