import { NotAuthorizedError, NotFoundError, ValidationError } from '../domain/errors.js';
import { isLive } from '../domain/lifecycle.js';
import type { AccessRequest } from '../domain/request.js';
import type { RequestDeps } from './deps.js';

/**
 * "Release now": the requester ends their own live grant early. The Slack function only
 * validates and hands the revoke to the grant worker, which removes the access, ends live
 * role sessions and writes the REVOKED transition with its audit event.
 */
export async function releaseGrant(
  deps: Pick<RequestDeps, 'store' | 'queue'>,
  input: { readonly requestId: string; readonly requester: string },
): Promise<AccessRequest> {
  const request = await deps.store.get(input.requestId);
  if (!request) throw new NotFoundError(`Grant ${input.requestId}`);
  if (request.requester !== input.requester) {
    throw new NotAuthorizedError('not-requester', 'Only the person who holds a grant can release it.');
  }
  if (!isLive(request.status)) throw new ValidationError(`This grant is already ${request.status}.`);
  await deps.queue.enqueue({
    kind: 'revoke',
    requestId: request.id,
    actor: input.requester,
    reason: 'released by the requester',
  });
  return request;
}
