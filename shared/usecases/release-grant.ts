import { decideRelease } from '../domain/decision.js';
import { BrokerError, NotFoundError, ValidationError } from '../domain/errors.js';
import { isLive } from '../domain/lifecycle.js';
import type { AccessRequest, EndRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';
import type { RequestDeps } from './deps.js';
import { refusalError } from './refusals.js';
import { retryOnConflict } from './retry-on-conflict.js';

/**
 * "Release now": the requester ends their own live grant early. Only the holder of a live
 * grant may (decideRelease): NotAuthorizedError for anyone else, ValidationError once it ended.
 *
 * The release is stored on the grant first (recordEndRequest) and only then handed to the
 * grant worker, which removes the access, ends live role sessions and writes the REVOKED
 * transition with its audit event. Why: a job that keeps failing past the queue's last
 * delivery must not drop the release; the stored request makes the sweeper keep ending the
 * grant until AWS confirms. For the same reason a failed hand-off is only logged: the release
 * is requested either way, and the sweeper's next run takes it up.
 */
export async function releaseGrant(
  deps: Pick<RequestDeps, 'store' | 'queue' | 'clock' | 'logger'>,
  input: { readonly requestId: string; readonly requester: string },
): Promise<AccessRequest> {
  const request = await deps.store.get(input.requestId);
  if (!request) throw new NotFoundError(`Grant ${input.requestId}`);
  const allowed = decideRelease(request, input.requester);
  if (!allowed.allowed) throw refusalError(allowed, (message) => new ValidationError(message));
  return requestEarlyEnd(deps, request.id, {
    kind: 'release',
    by: input.requester,
    reason: 'released by the requester',
  });
}

/**
 * An early end, asked for: stored on the grant first (recordEndRequest), then handed to the
 * grant worker as a revoke job. A failed hand-off is only logged: the end is requested either
 * way, and the sweeper's next run takes it up. Shared by the release and the revoke by others.
 */
export async function requestEarlyEnd(
  deps: Pick<RequestDeps, 'store' | 'queue' | 'clock' | 'logger'>,
  requestId: string,
  end: Pick<EndRequest, 'kind' | 'by' | 'reason'>,
): Promise<AccessRequest> {
  const stored = await recordEndRequest(deps, requestId, end);
  try {
    await deps.queue.enqueue({ kind: 'revoke', requestId, actor: end.by, reason: end.reason });
  } catch (error) {
    deps.logger.warn(`handing a ${end.kind} to the grant worker failed; the sweeper ends it`, {
      requestId,
      error: (error as Error).message,
    });
  }
  return stored;
}

/**
 * Stores an early end on a live grant: who asked, when, why, release or revoke, with its
 * `grant.end-requested` audit event in the same conditional write. From then on the grant is
 * due (see dueAt), so the sweeper ends it, as that kind and in that person's name, until AWS
 * confirms, however many jobs fail.
 *
 * Idempotent: a grant that already has an end request keeps the first one (a double click, a
 * delivered-again job), and a grant no longer live is returned as it is.
 */
export async function recordEndRequest(
  deps: Pick<RequestDeps, 'store' | 'clock'>,
  requestId: string,
  end: Pick<EndRequest, 'kind' | 'by' | 'reason'>,
): Promise<AccessRequest> {
  return retryOnConflict<Date, AccessRequest>({
    read: async () => {
      const grant = await deps.store.get(requestId);
      if (!grant) throw new NotFoundError(`Grant ${requestId}`);
      return grant;
    },
    decide: (grant) =>
      !isLive(grant.status) || grant.endRequest ? { done: grant } : { write: deps.clock.now() },
    write: (grant, now) => {
      const endRequest: EndRequest = { ...end, at: now.toISOString() };
      return deps.store.annotate(grant, {
        at: now,
        changes: { endRequest },
        audit: auditOf(grant, 'grant.end-requested', {
          at: now,
          actor: end.by,
          reason: end.reason,
          detail: { endKind: end.kind },
        }),
      });
    },
    committed: (stored) => stored,
    exhausted: () =>
      Promise.reject(
        new BrokerError('END_REQUEST_CONFLICT', `Grant ${requestId} kept changing; try again.`, {
          expose: true,
        }),
      ),
  });
}
