import { personKey, type Person } from './person.js';
import { AWS_IDENTITY, type AccessPolicy } from './policy.js';

/**
 * Identity mapping: which AWS principal a person acts as. The principal is the IAM user
 * name for group grants and the STS SourceIdentity for role sessions, so it must satisfy both.
 * Rules, in order: an explicit override in the policy (`identities`) wins; otherwise the
 * person's email (from their provider: the Slack profile for a Slack person), lower-cased (IAM user names are unique case-insensitively), within
 * `identityEmailDomain` when the policy sets one.
 */

export type IdentityRefusal = 'no-email' | 'wrong-domain' | 'unusable-email';

export type IdentityMapping =
  | { readonly ok: true; readonly principal: string; readonly source: 'override' | 'email' }
  | { readonly ok: false; readonly reason: IdentityRefusal; readonly message: string };

const NO_MAPPING_HINT = 'Ask an administrator to add you to the access policy (identities).';

/** Maps a person (and, when their provider gave one, their email) to an AWS principal. */
export function mapIdentity(
  policy: Pick<AccessPolicy, 'identities' | 'identityEmailDomain'>,
  person: Person,
  email: string | undefined,
): IdentityMapping {
  const override = overrideOf(policy, person);
  if (override !== undefined) return { ok: true, principal: override, source: 'override' };
  const normalized = email?.trim().toLowerCase() ?? '';
  if (normalized === '' || !normalized.includes('@')) {
    return {
      ok: false,
      reason: 'no-email',
      message: `${person.provider === 'slack' ? 'Your Slack profile' : 'Your account'} has no email, so the broker cannot tell who you are in AWS. ${NO_MAPPING_HINT}`,
    };
  }
  const domain = policy.identityEmailDomain?.trim().toLowerCase();
  // Why: without the check, anyone who can set a matching local part elsewhere could act as a colleague.
  if (domain && normalized.slice(normalized.lastIndexOf('@') + 1) !== domain) {
    return {
      ok: false,
      reason: 'wrong-domain',
      message: `Only @${domain} ${person.provider === 'slack' ? 'Slack accounts' : 'accounts'} map to AWS identities. ${NO_MAPPING_HINT}`,
    };
  }
  if (!AWS_IDENTITY.test(normalized)) {
    return {
      ok: false,
      reason: 'unusable-email',
      message: `Your email cannot be used as an AWS identity. ${NO_MAPPING_HINT}`,
    };
  }
  return { ok: true, principal: normalized, source: 'email' };
}

/** The policy's explicit AWS identity for `person`, if it names one (identities are keyed canonically). */
export function overrideOf(policy: Pick<AccessPolicy, 'identities'>, person: Person): string | undefined {
  return policy.identities[personKey(person)];
}

/** Every Slack user group id the policy refers to (to learn who is in which group). */
export function referencedUserGroups(policy: Pick<AccessPolicy, 'people'>): string[] {
  const groups = new Set<string>();
  for (const set of Object.values(policy.people)) set.userGroups.forEach((g) => groups.add(g));
  return [...groups].sort();
}

/** Every identity-provider group the policy refers to (to learn which a non-Slack person is in). */
export function referencedIdpGroups(policy: Pick<AccessPolicy, 'people'>): string[] {
  const groups = new Set<string>();
  for (const set of Object.values(policy.people)) set.idpGroups.forEach((g) => groups.add(g));
  return [...groups].sort();
}

/** The groups worth asking a directory about for `person`: the policy's groups of their provider. */
export function groupsToResolve(policy: Pick<AccessPolicy, 'people'>, person: Person): string[] {
  return person.provider === 'slack' ? referencedUserGroups(policy) : referencedIdpGroups(policy);
}

/**
 * Whether deciding on `person` needs their email: when a people set names anyone by email, or
 * (with `forIdentity`) when no explicit identity maps them and the email becomes their principal.
 * Looking it up only then keeps a warm request path free of needless directory calls.
 */
export function needsEmail(
  policy: Pick<AccessPolicy, 'people' | 'identities'> & Partial<Pick<AccessPolicy, 'targets'>>,
  person: Person,
  forIdentity: boolean,
): boolean {
  if (forIdentity && overrideOf(policy, person) === undefined) return true;
  // On-call people and ticket assignees are known by email.
  return (
    Object.values(policy.people).some((set) => set.emails.length > 0 || set.onCall !== undefined) ||
    (policy.targets?.some((t) => t.ticket?.assignedToRequester) ?? false)
  );
}
