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
