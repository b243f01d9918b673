import type { Refusal, RefusalField } from '../domain/decision.js';
import { NotAuthorizedError, type BrokerError } from '../domain/errors.js';

/**
 * The error a refused own-grant action throws (release, cancel, credentials): someone who is
 * not the holder gets NotAuthorizedError; every other refusal becomes `otherwise(message)`.
 */
export function refusalError(
  refusal: { readonly reason: string; readonly message: string },
  otherwise: (message: string) => BrokerError,
): BrokerError {
  return refusal.reason === 'not-requester'
    ? new NotAuthorizedError(refusal.reason, refusal.message)
    : otherwise(refusal.message);
}

/** A use case's answer when a decision said no: the decision's reason, message and field at fault. */
export interface RefusedOutcome<R extends string> {
  readonly outcome: 'refused';
  readonly reason: R;
  readonly message: string;
  readonly field?: RefusalField;
}

/** A decision's Refusal as a use case's `refused` outcome (`field` only when one is at fault). */
export function refusedOutcome<R extends string>(refusal: Refusal<R>): RefusedOutcome<R> {
  const { reason, message, field } = refusal;
  return field === undefined
    ? { outcome: 'refused', reason, message }
    : { outcome: 'refused', reason, message, field };
}
