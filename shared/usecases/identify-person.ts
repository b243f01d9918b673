import { groupsToResolve, mapIdentity, needsEmail, type IdentityMapping } from '../domain/identity.js';
import type { Person, ResolvedPerson } from '../domain/person.js';
import type { PersonDirectory, PolicySource } from '../domain/ports.js';

/** What resolving a person needs: the policy (which groups and emails matter) and a directory. */
export interface PeopleDeps {
  readonly policy: PolicySource;
  readonly directory: PersonDirectory;
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

function resolved(person: Person, groups: readonly string[], email: string | undefined): ResolvedPerson {
  return email === undefined ? { person, groups } : { person, email, groups };
}

/**
 * Resolves `person` for a decision: the policy's groups of their provider they belong to, and
 * their email only when a people set names someone by email (no lookup otherwise).
 */
export async function resolvePerson(deps: PeopleDeps, person: Person): Promise<ResolvedPerson> {
  const { groups, email } = await lookUp(deps, person, false);
  return resolved(person, groups, email);
}

/**
 * Resolves `person` and maps them to their AWS principal (an explicit identity of the policy, or
 * their email, which is then looked up too).
 */
export async function identifyPerson(deps: PeopleDeps, person: Person): Promise<IdentifiedPerson> {
  const { policy, groups, email } = await lookUp(deps, person, true);
  return { person: resolved(person, groups, email), identity: mapIdentity(policy, person, email) };
}
