import { groupsToResolve, mapIdentity, needsEmail, type IdentityMapping } from '../domain/identity.js';
import { shiftOf, type OnCallRoster, type OnCallShift } from '../domain/on-call.js';
import type { Person, ResolvedPerson } from '../domain/person.js';
import type { AccessPolicy } from '../domain/policy.js';
import type { PersonDirectory, PolicySource } from '../domain/ports.js';
import type { UseCaseLogger } from './deps.js';

/**
 * What resolving a person needs: the policy (which groups and emails matter), a directory, and
 * (when the policy has on-call sets) who is on call now.
 */
export interface PeopleDeps {
  readonly policy: PolicySource;
  readonly directory: PersonDirectory;
  /** Absent: nobody is on call for any on-call set (fails closed). */
  readonly onCall?: OnCallRoster;
  readonly logger?: Pick<UseCaseLogger, 'warn'>;
}

/** A person as the policy sees them, and their AWS identity (or why there is none). */
export interface IdentifiedPerson {
  readonly person: ResolvedPerson;
  readonly identity: IdentityMapping;
}

async function lookUp(deps: PeopleDeps, person: Person, forIdentity: boolean) {
  const policy = deps.policy.current();
  // A person of a provider the directory does not know is known by their id alone.
  if (!deps.directory.providers.includes(person.provider)) return { policy, groups: [], email: undefined };
  const groups = groupsToResolve(policy, person);
  const [memberOf, email] = await Promise.all([
    groups.length === 0 ? Promise.resolve([]) : deps.directory.groupsOf(person, groups),
    needsEmail(policy, person, forIdentity) ? deps.directory.emailOf(person) : Promise.resolve(undefined),
  ]);
  return { policy, groups: memberOf, email };
}

/**
 * The on-call sets `email` is on call for now, with their shifts. Why fail closed: a schedule
 * that cannot be read admits nobody (break-glass and auto-approval are privileges), and the
 * failure is logged with the set's name (never the token).
 */
async function onCallSets(
  deps: PeopleDeps,
  policy: AccessPolicy,
  email: string | undefined,
): Promise<Record<string, OnCallShift> | undefined> {
  const sets = Object.entries(policy.people).filter(([, set]) => set.onCall !== undefined);
  if (sets.length === 0 || email === undefined || email.trim() === '') return undefined;
  const found: Record<string, OnCallShift> = {};
  await Promise.all(
    sets.map(async ([name, set]) => {
      if (!deps.onCall || !set.onCall) return;
      try {
        const shift = shiftOf(await deps.onCall.onCallNow(set.onCall), email);
        if (shift) found[name] = shift;
      } catch (error) {
        deps.logger?.warn('on-call schedule unavailable; its set admits nobody', {
          set: name,
          provider: set.onCall.provider,
          error: (error as Error).message,
        });
      }
    }),
  );
  return Object.keys(found).length === 0 ? undefined : found;
}

function resolved(
  person: Person,
  groups: readonly string[],
  email: string | undefined,
  onCall: Record<string, OnCallShift> | undefined,
): ResolvedPerson {
  return {
    person,
    ...(email === undefined ? {} : { email }),
    groups,
    ...(onCall === undefined ? {} : { onCall }),
  };
}

/**
 * Resolves `person` for a decision: the policy's groups of their provider they belong to, and
 * their email only when a people set names someone by email (no lookup otherwise).
 */
export async function resolvePerson(deps: PeopleDeps, person: Person): Promise<ResolvedPerson> {
  const { policy, groups, email } = await lookUp(deps, person, false);
  return resolved(person, groups, email, await onCallSets(deps, policy, email));
}

/**
 * Resolves `person` and maps them to their AWS principal (an explicit identity of the policy, or
 * their email, which is then looked up too).
 */
export async function identifyPerson(deps: PeopleDeps, person: Person): Promise<IdentifiedPerson> {
  const { policy, groups, email } = await lookUp(deps, person, true);
  return {
    person: resolved(person, groups, email, await onCallSets(deps, policy, email)),
    identity: mapIdentity(policy, person, email),
  };
}
