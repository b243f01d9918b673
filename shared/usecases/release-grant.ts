import { decideRelease } from '../domain/decision.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { AccessRequest } from '../domain/request.js';
import type { RequestDeps } from './deps.js';
import { refusalError } from './refusals.js';

/**
 * "Release now": the requester ends their own live grant early. The Slack function only
 * validates and hands the revoke to the grant worker, which removes the access, ends live
 * role sessions and writes the REVOKED transition with its audit event. Only the holder of a
 * live grant may (decideRelease): NotAuthorizedError for anyone else, ValidationError once it ended.
 */
export async function releaseGrant(
  deps: Pick<RequestDeps, 'store' | 'queue'>,
  input: { readonly requestId: string; readonly requester: string },
): Promise<AccessRequest> {
  const request = await deps.store.get(input.requestId);
  if (!request) throw new NotFoundError(`Grant ${input.requestId}`);
  const allowed = decideRelease(request, input.requester);
  if (!allowed.allowed) throw refusalError(allowed, (message) => new ValidationError(message));
  await deps.queue.enqueue({
    kind: 'revoke',
    requestId: request.id,
    actor: input.requester,
    reason: 'released by the requester',
  });
  return request;
}
