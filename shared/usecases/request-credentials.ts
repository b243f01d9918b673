import { decideCredentials } from '../domain/decision.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { AccessRequest } from '../domain/request.js';
import type { RequestDeps } from './deps.js';
import { refusalError } from './refusals.js';

/**
 * "Get credentials": checks with decideCredentials that the grant is the caller's own, ACTIVE,
 * a role still in the policy, and inside its window, then hands an `issue-credentials` job to
 * the grant worker, which mints the STS session and delivers it to `replyTo` (opaque here:
 * the front door's own address, the already-open Slack modal). The Slack function holds no STS rights; it never sees the credentials. Writes
 * nothing. A refusal throws NotAuthorizedError (someone else) or ValidationError (the rest).
 */
export async function requestCredentials(
  deps: Pick<RequestDeps, 'store' | 'queue' | 'clock' | 'policy'>,
  input: { readonly requestId: string; readonly requester: string; readonly replyTo: string },
): Promise<AccessRequest> {
  const grant = await deps.store.get(input.requestId);
  if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
  const allowed = decideCredentials(deps.policy.current(), grant, input.requester, deps.clock.now());
  if (!allowed.allowed) throw refusalError(allowed, (message) => new ValidationError(message));
  await deps.queue.enqueue({
    kind: 'issue-credentials',
    requestId: grant.id,
    requester: grant.requester,
    replyTo: input.replyTo,
  });
  return grant;
}
