import type { AccessRequest } from '../../shared/domain/request.js';
import { breakGlass } from '../../shared/usecases/break-glass.js';
import { person } from './fakes.js';

/**
 * The test policy's responder UONCALL1 takes prod-role by break-glass for an outage (ticket
 * INC-1), as `principal`: the granted request. Throws if break-glass refuses.
 */
export async function breakGlassOutage(
  deps: Parameters<typeof breakGlass>[0],
  principal = 'oncall1',
): Promise<AccessRequest> {
  const glass = await breakGlass(deps, {
    requester: person('UONCALL1'),
    principal,
    targetId: 'prod-role',
    reason: 'outage',
    ticket: 'INC-1',
  });
  if (glass.outcome !== 'granted') throw new Error(glass.message);
  return glass.request;
}
