import { IllegalTransitionError } from './errors.js';

/**
 * The request lifecycle:
 * `PENDING → APPROVED → ACTIVE → EXPIRED | REVOKED`, with side exits
 * `PENDING → DENIED | CANCELLED | TIMED_OUT` and `APPROVED → FAILED | CANCELLED` (a scheduled
 * grant cancelled before its start).
 * Break-glass requests are created directly in APPROVED (flagged `breakGlass`) and need a
 * review afterwards; the review is a mark on the record, not a state.
 */
export const REQUEST_STATUSES = [
  'PENDING',
  'APPROVED',
  'ACTIVE',
  'EXPIRED',
  'REVOKED',
  'DENIED',
  'CANCELLED',
  'TIMED_OUT',
  'FAILED',
] as const;

export type RequestStatus = (typeof REQUEST_STATUSES)[number];

const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  PENDING: ['PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'TIMED_OUT'],
  // APPROVED → CANCELLED: a scheduled grant withdrawn by its requester before its start.
  APPROVED: ['ACTIVE', 'FAILED', 'REVOKED', 'CANCELLED'],
  ACTIVE: ['EXPIRED', 'REVOKED'],
  EXPIRED: [],
  REVOKED: [],
  DENIED: [],
  CANCELLED: [],
  TIMED_OUT: [],
  FAILED: [],
};

/** States in which the requester holds (or is about to hold) access. */
export const LIVE_STATUSES: readonly RequestStatus[] = ['APPROVED', 'ACTIVE'];

/** States from which nothing can follow. */
export const TERMINAL_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter(
  (s) => TRANSITIONS[s].length === 0,
);

/**
 * Whether `from → to` is allowed. `PENDING → PENDING` records one more approval. A live
 * grant never changes in place: an extension is a request of its own.
 */
export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws IllegalTransitionError unless `from → to` is allowed. */
export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

export function isLive(status: RequestStatus): boolean {
  return LIVE_STATUSES.includes(status);
}

export function isTerminal(status: RequestStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
