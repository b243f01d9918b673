import type { TransitionResult } from '../domain/ports.js';
import type { AccessRequest } from '../domain/request.js';

/** How often a use case re-reads and retries after losing a race on the same request. */
export const MAX_RACE_RETRIES = 8;

/** What a use case decides about the request as it read it. */
export type RaceDecision<P, T> =
  /** Nothing (more) to write: a refusal, or already where it should be. Finishes with `done`. */
  | { readonly done: T }
  /** Write `write` conditionally on the version read. */
  | { readonly write: P };

/** What to do after losing a race: read and decide again, or finish now with `done`. */
export type ConflictOutcome<T> = 'retry' | { readonly done: T };

/** The steps of one conditional use case; see {@link retryOnConflict}. */
export interface RaceSteps<P, T> {
  /** The request as it is now (throws NotFoundError when there is none). */
  read(): Promise<AccessRequest>;
  /** Decides on what was read: finish, or what to write. May throw a refusal. */
  decide(current: AccessRequest): RaceDecision<P, T> | Promise<RaceDecision<P, T>>;
  /** The conditional write (a transition or an annotation) of the decided plan. */
  write(current: AccessRequest, plan: P): Promise<TransitionResult>;
  /** After the write committed: what follows (publish, hand-off) and the result. */
  committed(written: AccessRequest, plan: P, read: AccessRequest): T | Promise<T>;
  /** After a lost race, given what is there now; by default read and decide again. */
  conflict?(
    now: AccessRequest,
    plan: P,
    read: AccessRequest,
  ): ConflictOutcome<T> | Promise<ConflictOutcome<T>>;
  /** After `MAX_RACE_RETRIES` lost races: the use case's own error (thrown) or last answer. */
  exhausted(): Promise<T>;
}

/**
 * read → decide → conditional write, again from the read whenever another writer got there
 * first, at most `attempts` times (default MAX_RACE_RETRIES). Every status change and
 * annotation is conditional on the version read, so concurrent writers yield exactly one
 * write each and a loser decides again on the fresh record: the one shape of every use case
 * that changes a request.
 */
export async function retryOnConflict<P, T>(
  steps: RaceSteps<P, T>,
  attempts: number = MAX_RACE_RETRIES,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const current = await steps.read();
    const decision = await steps.decide(current);
    if ('done' in decision) return decision.done;
    const result = await steps.write(current, decision.write);
    if (result.ok) return steps.committed(result.request, decision.write, current);
    const outcome = steps.conflict ? await steps.conflict(result.current, decision.write, current) : 'retry';
    if (outcome !== 'retry') return outcome.done;
  }
  return steps.exhausted();
}
