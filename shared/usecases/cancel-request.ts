import { decideCancel } from '../domain/decision.js';
import { AlreadyDecidedError, NotFoundError } from '../domain/errors.js';
import type { AccessRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';
import type { RequestDeps } from './deps.js';
import { refusalError } from './refusals.js';
import { retryOnConflict } from './retry-on-conflict.js';

/**
 * PENDING → CANCELLED, or APPROVED → CANCELLED for a scheduled grant whose start has not come
 * (nothing was granted yet), by the requester only (decideCancel). A refusal throws
 * NotAuthorizedError (someone else) or AlreadyDecidedError (no longer PENDING).
 */
export async function cancelRequest(
  deps: RequestDeps,
  input: { readonly requestId: string; readonly requester: string },
): Promise<AccessRequest> {
  // A conflict (an approval recorded meanwhile) re-reads and decides again.
  return retryOnConflict<Date, AccessRequest>({
    read: async () => {
      const request = await deps.store.get(input.requestId);
      if (!request) throw new NotFoundError(`Request ${input.requestId}`);
      return request;
    },
    decide: (request) => {
      const now = deps.clock.now();
      const allowed = decideCancel(request, input.requester, now);
      if (!allowed.allowed) throw refusalError(allowed, () => new AlreadyDecidedError(request.status));
      return { write: now };
    },
    write: (request, now) =>
      deps.store.transition(request, {
        to: 'CANCELLED',
        at: now,
        changes: { decidedBy: input.requester, decidedAt: now.toISOString() },
        audit: auditOf(request, 'request.cancelled', { at: now, actor: input.requester, to: 'CANCELLED' }),
      }),
    committed: async (cancelled) => {
      await deps.events.publish({ kind: 'request-cancelled', request: cancelled });
      return cancelled;
    },
    exhausted: async () => {
      throw new AlreadyDecidedError((await deps.store.get(input.requestId))?.status ?? 'gone');
    },
  });
}
