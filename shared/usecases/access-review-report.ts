import { buildAccessReview, type AccessReview } from '../domain/access-review.js';
import type { AuditEvent } from '../domain/audit.js';
import { parseAuditFilter, type AuditReader } from '../domain/audit-query.js';
import type { Clock } from '../domain/ports.js';

export interface AccessReviewDeps {
  readonly reader: AuditReader;
  readonly clock: Clock;
}

const END_TYPES: ReadonlySet<string> = new Set(['grant.expired', 'grant.revoked', 'grant.released']);

/**
 * How long after the period its grants' activity summaries are still looked for: a summary is
 * written when its grant ends (grants last hours), so a day after the period covers grants
 * that were live at its end. A later summary leaves the grant's use `unknown`.
 */
export const SUMMARY_GRACE_MS = 86_400_000;

/**
 * The periodic access review of [`from`, `to`): per target who had access, how often and for
 * how long; standing members found by drift; break-glass grants still unreviewed; approvals by approver; approval latency
 * p50/p95; grants never used (activity summary with no call) or of unknown use (no summary). Reads the period through the by-day index (the auditors'
 * query), then, by request id only, what lies outside it: the submission of a request approved
 * in the period, the activation of a grant that ended in it, and a review given after it;
 * and, when a grant of the period has no activity summary in it, the day after the period
 * (SUMMARY_GRACE_MS) for summaries written there.
 * A grant live through the whole period without any event in it is not seen.
 */
export async function reportAccessReview(
  deps: AccessReviewDeps,
  input: { readonly from: string; readonly to: string },
): Promise<AccessReview> {
  const filter = parseAuditFilter({ from: input.from, to: input.to });
  const from = filter.from as string;
  const to = filter.to as string;
  const now = deps.clock.now();
  const events: AuditEvent[] = [];
  for await (const event of deps.reader.stream({ from, to }, now)) events.push(event);

  const types = new Map<string, Set<string>>();
  for (const e of events) types.set(e.requestId, (types.get(e.requestId) ?? new Set()).add(e.type));
  const has = (id: string, type: string) => types.get(id)?.has(type) ?? false;
  const needEarlier = [...types.keys()].filter(
    (id) =>
      (has(id, 'request.approved') && !has(id, 'request.submitted')) ||
      ([...END_TYPES].some((t) => has(id, t)) && !has(id, 'grant.activated')),
  );
  const needReview = [...types.keys()].filter(
    (id) => has(id, 'break-glass.activated') && !has(id, 'break-glass.reviewed'),
  );
  const earlier: AuditEvent[] = [];
  const reviewedLater = new Set<string>();
  for (const requestId of new Set([...needEarlier, ...needReview])) {
    for await (const e of deps.reader.stream({ requestId }, now)) {
      if (e.at < from) earlier.push(e);
      if (e.type === 'break-glass.reviewed' && e.at >= to) reviewedLater.add(requestId);
    }
  }
  const summaryWanted = [...types.keys()].filter(
    (id) => has(id, 'grant.activated') && !has(id, 'grant.activity-summarised'),
  );
  const summariesLater: AuditEvent[] = [];
  if (summaryWanted.length > 0 && to < now.toISOString()) {
    const until = new Date(Math.min(Date.parse(to) + SUMMARY_GRACE_MS, now.getTime())).toISOString();
    const wanted = new Set(summaryWanted);
    for await (const e of deps.reader.stream({ from: to, to: until }, now)) {
      if (e.type === 'grant.activity-summarised' && wanted.has(e.requestId)) summariesLater.push(e);
    }
  }
  return buildAccessReview({ from, to }, events, earlier, reviewedLater, summariesLater);
}
