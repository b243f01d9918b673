import { decideCancel } from '../domain/decision.js';
import { AlreadyDecidedError, NotFoundError } from '../domain/errors.js';
import type { AccessRequest } from '../domain/request.js';
import { MAX_RACE_RETRIES } from './approve-request.js';
import { auditOf } from './audit-events.js';
import type { RequestDeps } from './deps.js';
import { refusalError } from './refusals.js';

/**
 * PENDING → CANCELLED, by the requester only (decideCancel). A refusal throws
 * NotAuthorizedError (someone else) or AlreadyDecidedError (no longer PENDING).
 */
export async function cancelRequest(
  deps: RequestDeps,
  input: { readonly requestId: string; readonly requester: string },
): Promise<AccessRequest> {
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const request = await deps.store.get(input.requestId);
    if (!request) throw new NotFoundError(`Request ${input.requestId}`);
    const allowed = decideCancel(request, input.requester);
    if (!allowed.allowed) throw refusalError(allowed, () => new AlreadyDecidedError(request.status));
    const now = deps.clock.now();
    const result = await deps.store.transition(request, {
      to: 'CANCELLED',
      at: now,
      changes: { decidedBy: input.requester, decidedAt: now.toISOString() },
      audit: auditOf(request, 'request.cancelled', { at: now, actor: input.requester, to: 'CANCELLED' }),
    });
    if (!result.ok) continue; // an approval was recorded meanwhile: re-read and decide again
    await deps.events.publish({ kind: 'request-cancelled', request: result.request });
    return result.request;
  }
  throw new AlreadyDecidedError((await deps.store.get(input.requestId))?.status ?? 'gone');
}
