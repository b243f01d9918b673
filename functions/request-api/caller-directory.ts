import { personOfApiCaller } from '../../shared/domain/api-caller.js';
import type { PersonDirectory, PolicySource } from '../../shared/domain/ports.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import type { PeopleDeps } from '../../shared/usecases/identify-person.js';

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

/**
 * How the request API resolves its callers: its `cli:` persons, and the persons the policy maps
 * callers to through the same directory as their own front door (`slack`: the Slack function's
 * SlackDirectory), with the same on-call roster. Why: a person's emails, user groups and on-call
 * status must decide the same way from the terminal as from Slack.
 */
export function apiPeople(
  requests: Pick<RequestDeps, 'policy' | 'onCall' | 'logger'>,
  slack?: PersonDirectory,
): PeopleDeps {
  return {
    policy: requests.policy,
    directory: apiCallerDirectory(requests.policy, slack),
    ...(requests.onCall ? { onCall: requests.onCall, logger: requests.logger } : {}),
  };
}
