import { personOfApiCaller } from '../../shared/domain/api-caller.js';
import type { PersonDirectory, PolicySource } from '../../shared/domain/ports.js';

/**
 * What the request API knows of its `cli:` persons: the email an Identity Center session
 * name carries (see personOfApiCaller), and no groups. Persons of other providers (a caller
 * the policy maps to a Slack user) are resolved by `others` when given.
 */
export function apiCallerDirectory(policy: PolicySource, others?: PersonDirectory): PersonDirectory {
  return {
    providers: ['cli', ...(others?.providers.filter((p) => p !== 'cli') ?? [])],
    emailOf: async (person) => {
      if (person.provider !== 'cli') return others?.emailOf(person);
      const caller = personOfApiCaller(policy.current(), person.id);
      return caller.ok ? caller.email : undefined;
    },
    groupsOf: async (person, groups) =>
      person.provider === 'cli' ? [] : (others?.groupsOf(person, groups) ?? []),
  };
}
