import { decideApproval } from '../domain/decision.js';
import { isInSets } from '../domain/policy.js';
import { personKey, type ResolvedPerson } from '../domain/person.js';
import type { AccessRequest } from '../domain/request.js';
import type { RequestDeps } from './deps.js';

/** One request an approver is asked about, with the requester's recent history on that target. */
export interface WaitingApproval {
  readonly request: AccessRequest;
  /** The requester's most recent other requests on the same target, newest first. */
  readonly history: readonly AccessRequest[];
  /** The approver already gave theirs; the request waits for the others (M of N). */
  readonly approvedByMe: boolean;
}

/** How many pending requests per target, and how many of a requester's requests, are read. */
export const WAITING_PAGE_SIZE = 50;
export const HISTORY_SCAN_LIMIT = 50;
export const HISTORY_SHOWN = 5;

/**
 * What waits for `approver`: the pending requests of every target whose approvers include
 * them (one index query per such target, never a scan), kept when decideApproval would let
 * them approve, or they already did. Oldest first. Writes nothing.
 */
export async function listWaitingApprovals(
  deps: Pick<RequestDeps, 'store' | 'policy'>,
  approver: ResolvedPerson,
): Promise<WaitingApproval[]> {
  const policy = deps.policy.current();
  const me = personKey(approver.person);
  const targets = policy.targets.filter((t) => isInSets(policy, t.approvers, approver));
  const pages = await Promise.all(
    targets.map((t) => deps.store.listPendingByTarget(t.id, { limit: WAITING_PAGE_SIZE })),
  );
  const waiting = pages
    .flatMap((page) => page.items)
    .map((request) => ({ request, decision: decideApproval(policy, request, approver) }))
    .filter(({ decision }) => decision.allowed || decision.reason === 'already-approved')
    .sort((a, b) => a.request.createdAt.localeCompare(b.request.createdAt));
  const histories = new Map<string, Promise<readonly AccessRequest[]>>();
  const historyOf = (requester: string) => {
    let found = histories.get(requester);
    if (!found) {
      found = deps.store.listByRequester(requester, { limit: HISTORY_SCAN_LIMIT }).then((p) => p.items);
      histories.set(requester, found);
    }
    return found;
  };
  return Promise.all(
    waiting.map(async ({ request }) => ({
      request,
      history: (await historyOf(request.requester))
        .filter((r) => r.targetId === request.targetId && r.id !== request.id)
        .slice(0, HISTORY_SHOWN),
      approvedByMe: request.approvals.some((a) => a.approver === me),
    })),
  );
}
