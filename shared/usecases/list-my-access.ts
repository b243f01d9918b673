import { secondsLeft } from '../domain/grant-window.js';
import { isLive } from '../domain/lifecycle.js';
import { breakGlassTargets, decideCredentials, isScheduledAhead } from '../domain/decision.js';
import { personKey, type ResolvedPerson } from '../domain/person.js';
import type { AccessRequest } from '../domain/request.js';
import type { RequestDeps } from './deps.js';

export interface LiveGrant {
  readonly request: AccessRequest;
  readonly secondsLeft: number;
  /** Whether "Get credentials" would be allowed now (decideCredentials). */
  readonly canGetCredentials: boolean;
}

/** What the App Home tab shows a person. */
export interface MyAccess {
  readonly pending: readonly AccessRequest[];
  readonly live: readonly LiveGrant[];
  /** Approved grants whose scheduled start is still ahead (cancellable), soonest first. */
  readonly scheduled: readonly AccessRequest[];
  readonly canBreakGlass: boolean;
}

/** How many of a person's most recent requests the Home tab looks at. */
export const MY_ACCESS_SCAN_LIMIT = 100;

/**
 * A person's pending requests and live grants (APPROVED or ACTIVE, window still open), with
 * the time left on each. Reads one index page of the person's newest requests; never scans.
 */
export async function listMyAccess(
  deps: Pick<RequestDeps, 'store' | 'clock' | 'policy'>,
  person: ResolvedPerson,
): Promise<MyAccess> {
  const now = deps.clock.now();
  const policy = deps.policy.current();
  const page = await deps.store.listByRequester(personKey(person.person), { limit: MY_ACCESS_SCAN_LIMIT });
  const pending: AccessRequest[] = [];
  const live: LiveGrant[] = [];
  const scheduled: AccessRequest[] = [];
  for (const request of page.items) {
    if (request.status === 'PENDING') {
      pending.push(request);
      continue;
    }
    if (isScheduledAhead(request, now)) {
      scheduled.push(request);
      continue;
    }
    if (!isLive(request.status) || !request.startsAt || !request.endsAt) continue;
    const left = secondsLeft({ startsAt: new Date(request.startsAt), endsAt: new Date(request.endsAt) }, now);
    if (left <= 0) continue;
    live.push({
      request,
      secondsLeft: left,
      canGetCredentials: decideCredentials(policy, request, personKey(person.person), now).allowed,
    });
  }
  live.sort((a, b) => a.secondsLeft - b.secondsLeft);
  scheduled.sort((a, b) => (a.startsAt ?? '').localeCompare(b.startsAt ?? ''));
  return { pending, live, scheduled, canBreakGlass: breakGlassTargets(policy, person).allowed };
}
