import type { AccessRequest } from '../domain/request.js';
import { summarizeHistory, type HistoryEntry } from '../domain/requester-history.js';
import { queryAudit, type AuditQueryDeps } from './query-audit.js';

/** How many of the requester's newest events on the target are read (one indexed page). */
export const HISTORY_EVENTS_READ = 50;

/**
 * The requester's recent history on the target of `request` (last grants, break-glass,
 * denials), for the approvers: one page of the auditors' query by person and target (the
 * by-subject index, never a scan), summarized by summarizeHistory.
 */
export async function requesterHistory(
  deps: AuditQueryDeps,
  request: Pick<AccessRequest, 'id' | 'requester' | 'targetId'>,
): Promise<readonly HistoryEntry[]> {
  const page = await queryAudit(deps, {
    person: request.requester,
    target: request.targetId,
    limit: HISTORY_EVENTS_READ,
  });
  return summarizeHistory(page.items, request.id);
}
