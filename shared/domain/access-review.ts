import { activityFromDetail } from './activity.js';
import type { AuditEvent } from './audit.js';

/**
 * The periodic access review: who had what over a period, built from the audit events of
 * that period (pure; the use case reads them through the by-day index).
 */

export interface TargetReview {
  readonly targetId: string;
  /** Grants activated in the period. */
  readonly grants: number;
  /** Per person (Slack user id): their grants and seconds of access within the period. */
  readonly people: readonly PersonReview[];
  /** Seconds of access within the period, everyone together. */
  readonly seconds: number;
  /** Grants activated per day of the period, oldest first (the sparkline's values). */
  readonly perDay: readonly number[];
  /**
   * Members the drift reconciler found in the target's group without a live grant during the
   * period (from its `drift.detected` / `drift.removed` events), first seen first. Absent when
   * there were none.
   */
  readonly standingMembers?: readonly StandingMember[];
}

/** A member found by drift: in a managed group without a live grant. */
export interface StandingMember {
  /** The member as the group lists it (an IAM user name, an Identity Center UserId). */
  readonly member: string;
  /** The group the member was found in (the event detail's `groupName`). */
  readonly group: string;
  /** The first drift event about the member in the period. */
  readonly firstSeen: string;
  /** Whether the reconciler's last word on the member in the period was its removal. */
  readonly removed: boolean;
}

/** One person on one target over the period: one row of the review's CSV. */
export interface PersonReview {
  readonly subject: string;
  /** Grants activated in the period. */
  readonly grants: number;
  /** Seconds of access within the period. */
  readonly seconds: number;
  /** Of `grants`, those that were break-glass. */
  readonly breakGlass: number;
  /** Of `grants`, those whose activity summary counted no call. */
  readonly neverUsed: number;
  /** Of `grants`, those with no activity summary (usage unknown). */
  readonly usageUnknown: number;
}

/** A grant of the period, named for a finding. */
export interface ReviewedGrant {
  readonly requestId: string;
  readonly subject: string;
  readonly targetId: string;
}

export interface AccessReview {
  readonly from: string;
  readonly to: string;
  readonly targets: readonly TargetReview[];
  /** Break-glass grants of the period with no review yet. */
  readonly unreviewedBreakGlass: readonly {
    readonly requestId: string;
    readonly subject: string;
    readonly targetId: string;
    readonly at: string;
  }[];
  /** Approvals given (approval-recorded and approved by a person), per approver, the most first. */
  readonly approvalsByApprover: readonly (readonly [string, number])[];
  /** Seconds from submission to approval (requests approved in the period whose submission is known). */
  readonly approvalLatency: { readonly count: number; readonly p50?: number; readonly p95?: number };
  /** Grants activated in the period whose activity summary counted no call, by request id. */
  readonly neverUsed: readonly ReviewedGrant[];
  /**
   * Grants activated in the period with no activity summary at all (their use is unknown:
   * not a role grant, or CloudTrail not looked up yet), by request id.
   */
  readonly usageUnknown: readonly ReviewedGrant[];
}

const END_TYPES: ReadonlySet<string> = new Set(['grant.expired', 'grant.revoked', 'grant.released']);
const DAY_MS = 86_400_000;

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `▁▃█`: one bar per value, scaled to the largest (all zero: the lowest bar). */
export function sparkline(values: readonly number[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const max = Math.max(0, ...values);
  return values.map((v) => (max === 0 ? bars[0] : bars[Math.round((v / max) * (bars.length - 1))])).join('');
}

/**
 * Builds the review of [`from`, `to`) from its events. `earlier` holds events of the same
 * requests from before the period (their submission or activation), `reviewedLater` the
 * break-glass grants reviewed after it, and `summariesLater` activity summaries written after
 * it (a summary follows the end of its grant): all read by request id or a short window,
 * never by scan. A grant of the period is one activated in it; its use is `never used` when
 * its activity summary counted no call, `unknown` when it has no summary. The reconciler's
 * drift events of the period give each target its standing members (a target with drift and
 * no grant is listed too).
 */
export function buildAccessReview(
  period: { readonly from: string; readonly to: string },
  events: readonly AuditEvent[],
  earlier: readonly AuditEvent[] = [],
  reviewedLater: ReadonlySet<string> = new Set(),
  summariesLater: readonly AuditEvent[] = [],
): AccessReview {
  const fromMs = Date.parse(period.from);
  const toMs = Date.parse(period.to);
  const days = Math.max(1, Math.ceil((toMs - fromMs) / DAY_MS));
  const ordered = [...events].sort((a, b) => (a.at === b.at ? a.seq - b.seq : a.at < b.at ? -1 : 1));
  const submitted = new Map<string, number>();
  const started = new Map<string, { at: number; subject: string; targetId: string }>();
  for (const e of earlier) {
    if (e.type === 'request.submitted') submitted.set(e.requestId, Date.parse(e.at));
    if (e.type === 'grant.activated')
      started.set(e.requestId, { at: fromMs, subject: e.subject, targetId: e.targetId });
  }
  type Person = Omit<PersonReview, 'subject' | 'neverUsed' | 'usageUnknown'>;
  const targets = new Map<string, { grants: number; perDay: number[]; people: Map<string, Person> }>();
  const targetOf = (id: string) => {
    let t = targets.get(id);
    if (!t) targets.set(id, (t = { grants: 0, perDay: Array<number>(days).fill(0), people: new Map() }));
    return t;
  };
  const addToPerson = (targetId: string, subject: string, add: Partial<Person>) => {
    const person = targetOf(targetId).people.get(subject) ?? { grants: 0, seconds: 0, breakGlass: 0 };
    targetOf(targetId).people.set(subject, {
      grants: person.grants + (add.grants ?? 0),
      seconds: person.seconds + (add.seconds ?? 0),
      breakGlass: person.breakGlass + (add.breakGlass ?? 0),
    });
  };
  const glass = new Map<string, AuditEvent>();
  const reviewed = new Set(reviewedLater);
  const approvals = new Map<string, number>();
  const latencies: number[] = [];
  const grantsOfPeriod = new Map<string, ReviewedGrant>();
  const standing = new Map<string, Map<string, StandingMember>>();
  const callsOf = new Map<string, number>();
  for (const e of [...ordered, ...summariesLater]) {
    if (e.type !== 'grant.activity-summarised') continue;
    const calls = activityFromDetail(e.detail)?.calls;
    if (calls !== undefined) callsOf.set(e.requestId, calls);
  }
  for (const e of ordered) {
    const at = Date.parse(e.at);
    switch (e.type) {
      case 'request.submitted':
        submitted.set(e.requestId, at);
        break;
      case 'grant.activated': {
        const t = targetOf(e.targetId);
        t.grants++;
        const day = Math.min(days - 1, Math.floor((at - fromMs) / DAY_MS));
        t.perDay[day] = (t.perDay[day] ?? 0) + 1;
        addToPerson(e.targetId, e.subject, { grants: 1, breakGlass: e.breakGlass ? 1 : 0 });
        started.set(e.requestId, { at, subject: e.subject, targetId: e.targetId });
        grantsOfPeriod.set(e.requestId, { requestId: e.requestId, subject: e.subject, targetId: e.targetId });
        break;
      }
      case 'request.approval-recorded':
      case 'request.approved':
        if (!e.actor.startsWith('system:')) approvals.set(e.actor, (approvals.get(e.actor) ?? 0) + 1);
        if (e.type === 'request.approved' && submitted.has(e.requestId)) {
          latencies.push((at - (submitted.get(e.requestId) ?? at)) / 1000);
        }
        break;
      case 'break-glass.activated':
        glass.set(e.requestId, e);
        break;
      case 'break-glass.reviewed':
        reviewed.add(e.requestId);
        break;
      case 'drift.detected':
      case 'drift.removed': {
        targetOf(e.targetId);
        const members = standing.get(e.targetId) ?? new Map<string, StandingMember>();
        standing.set(e.targetId, members);
        const member = e.principal ?? e.subject;
        const group = String(e.detail?.['groupName'] ?? '');
        const key = JSON.stringify([group, member]);
        members.set(key, {
          member,
          group,
          firstSeen: members.get(key)?.firstSeen ?? e.at,
          removed: e.type === 'drift.removed',
        });
        break;
      }
      default:
        if (END_TYPES.has(e.type)) {
          const start = started.get(e.requestId);
          if (start) {
            addToPerson(start.targetId, start.subject, { seconds: (at - start.at) / 1000 });
            started.delete(e.requestId);
          }
        }
    }
  }
  // Grants still live at the end of the period count up to its end.
  for (const start of started.values())
    addToPerson(start.targetId, start.subject, { seconds: (toMs - start.at) / 1000 });
  const byRequestId = (a: ReviewedGrant, b: ReviewedGrant) => (a.requestId < b.requestId ? -1 : 1);
  const grants = [...grantsOfPeriod.values()];
  const neverUsed = grants.filter((g) => callsOf.get(g.requestId) === 0).sort(byRequestId);
  const usageUnknown = grants.filter((g) => !callsOf.has(g.requestId)).sort(byRequestId);
  const countOf = (list: readonly ReviewedGrant[], targetId: string, subject: string) =>
    list.filter((g) => g.targetId === targetId && g.subject === subject).length;
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  return {
    from: period.from,
    to: period.to,
    targets: [...targets]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([targetId, t]) => {
        const people = [...t.people]
          .map(([subject, p]) => ({
            subject,
            grants: p.grants,
            seconds: Math.round(p.seconds),
            breakGlass: p.breakGlass,
            neverUsed: countOf(neverUsed, targetId, subject),
            usageUnknown: countOf(usageUnknown, targetId, subject),
          }))
          .sort((a, b) => b.seconds - a.seconds || (a.subject < b.subject ? -1 : 1));
        return {
          targetId,
          grants: t.grants,
          people,
          seconds: people.reduce((n, p) => n + p.seconds, 0),
          perDay: t.perDay,
          ...(standing.has(targetId)
            ? { standingMembers: [...(standing.get(targetId)?.values() ?? [])] }
            : {}),
        };
      }),
    unreviewedBreakGlass: [...glass.values()]
      .filter((e) => !reviewed.has(e.requestId))
      .map((e) => ({ requestId: e.requestId, subject: e.subject, targetId: e.targetId, at: e.at })),
    approvalsByApprover: [...approvals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    approvalLatency: {
      count: latencies.length,
      ...(p50 === undefined ? {} : { p50 }),
      ...(p95 === undefined ? {} : { p95 }),
    },
    neverUsed,
    usageUnknown,
  };
}
