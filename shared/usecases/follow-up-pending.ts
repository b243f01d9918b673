import { decideEscalation } from '../domain/approval-stages.js';
import { decidePendingFollowUp } from '../domain/decision.js';
import { findTarget } from '../domain/policy.js';
import type { AccessRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';
import type { RequestDeps } from './deps.js';

/**
 * Follows up pending requests nobody answered: re-notifies their approvers once, escalates a
 * stage that has not decided within its target's `escalation.after` to the backup approvers
 * (once per stage), then times them out (TIMED_OUT, requester told). Nothing is deleted. Run
 * by the sweeper every minute; safe to run twice at once (every change is conditional, and a
 * lost race leaves the follow-up to the next run).
 */
export async function followUpPendingRequests(
  deps: RequestDeps,
): Promise<{ renotified: number; timedOut: number; escalated: number }> {
  const policy = deps.policy.current();
  const now = deps.clock.now();
  let renotified = 0;
  let timedOut = 0;
  let escalated = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listPending(cursor === undefined ? { limit: 100 } : { limit: 100, cursor });
    for (const pending of page.items) {
      let request = pending;
      const escalation = decideEscalation(policy, findTarget(policy, request.targetId), request, now);
      if (escalation.escalate) {
        const written = await escalate(deps, request, escalation, now);
        if (!written) continue;
        escalated++;
        request = written;
      }
      const action = decidePendingFollowUp(policy, request, now);
      if (action === 'time-out' && (await timeOut(deps, request, now))) timedOut++;
      if (action === 'renotify' && (await renotify(deps, request, now))) renotified++;
    }
    cursor = page.cursor;
  } while (cursor);
  return { renotified, timedOut, escalated };
}

async function timeOut(deps: RequestDeps, request: AccessRequest, now: Date): Promise<boolean> {
  const result = await deps.store.transition(request, {
    to: 'TIMED_OUT',
    at: now,
    changes: {
      decidedBy: 'system:timeout',
      decidedAt: now.toISOString(),
      decisionReason: 'no decision in time',
    },
    audit: auditOf(request, 'request.timed-out', { at: now, actor: 'system:timeout', to: 'TIMED_OUT' }),
  });
  if (!result.ok) return false;
  await deps.events.publish({ kind: 'request-timed-out', request: result.request });
  return true;
}

async function renotify(deps: RequestDeps, request: AccessRequest, now: Date): Promise<boolean> {
  const result = await deps.store.annotate(request, {
    at: now,
    changes: { renotifiedAt: now.toISOString() },
    audit: auditOf(request, 'request.renotified', { at: now, actor: 'system:reminder' }),
  });
  if (!result.ok) return false;
  await deps.events.publish({ kind: 'approval-needed', request: result.request, reminder: true });
  return true;
}

/**
 * Marks the stage escalated (one conditional write: a second sweeper, or an approval landing
 * meanwhile, loses and nothing is sent twice), then tells the backup approvers.
 */
async function escalate(
  deps: RequestDeps,
  request: AccessRequest,
  escalation: { readonly stage: number; readonly to: readonly string[] },
  now: Date,
): Promise<AccessRequest | undefined> {
  const result = await deps.store.annotate(request, {
    at: now,
    changes: { escalatedStage: escalation.stage },
    audit: auditOf(request, 'request.escalated', {
      at: now,
      actor: 'system:escalation',
      detail: { stage: escalation.stage + 1, to: escalation.to.join(',') },
    }),
  });
  if (!result.ok) return undefined;
  await deps.events.publish({ kind: 'approval-escalated', request: result.request, to: escalation.to });
  return result.request;
}
