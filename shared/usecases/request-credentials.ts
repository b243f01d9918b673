import { NotAuthorizedError, NotFoundError, ValidationError } from '../domain/errors.js';
import { isOpen } from '../domain/grant-window.js';
import type { AccessRequest } from '../domain/request.js';
import type { RequestDeps } from './deps.js';

/**
 * "Get credentials": checks that the grant is the caller's own, ACTIVE, a role, and inside its
 * window, then hands an `issue-credentials` job to the grant worker, which mints the STS
 * session and fills the already-open Slack modal `viewId`. The Slack function holds no STS
 * rights; it never sees the credentials. Writes nothing.
 */
export async function requestCredentials(
  deps: Pick<RequestDeps, 'store' | 'queue' | 'clock'>,
  input: { readonly requestId: string; readonly requester: string; readonly viewId: string },
): Promise<AccessRequest> {
  const grant = await deps.store.get(input.requestId);
  if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
  // Why: credentials go only to the person who holds the grant.
  if (grant.requester !== input.requester) {
    throw new NotAuthorizedError(
      'not-requester',
      'Only the person who holds a grant can get its credentials.',
    );
  }
  if (grant.targetKind !== 'role') {
    throw new ValidationError(
      'This is a group grant: use your own IAM user, there are no session credentials.',
    );
  }
  if (grant.status !== 'ACTIVE') {
    throw new ValidationError(
      grant.status === 'APPROVED'
        ? 'This grant is still being set up; try again in a moment.'
        : `This grant is ${grant.status}.`,
    );
  }
  const window =
    grant.startsAt && grant.endsAt
      ? { startsAt: new Date(grant.startsAt), endsAt: new Date(grant.endsAt) }
      : undefined;
  if (!window || !isOpen(window, deps.clock.now())) throw new ValidationError('This grant has ended.');
  await deps.queue.enqueue({
    kind: 'issue-credentials',
    requestId: grant.id,
    requester: grant.requester,
    viewId: input.viewId,
  });
  return grant;
}
