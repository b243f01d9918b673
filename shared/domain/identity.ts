import { AWS_IDENTITY, type AccessPolicy } from './policy.js';

/**
 * Identity mapping: which AWS principal a Slack user acts as. The principal is the IAM user
 * name for group grants and the STS SourceIdentity for role sessions, so it must satisfy both.
 * Rules, in order: an explicit override in the policy (`identities`) wins; otherwise the
 * person's Slack email, lower-cased (IAM user names are unique case-insensitively), within
 * `identityEmailDomain` when the policy sets one.
 */

export type IdentityRefusal = 'no-email' | 'wrong-domain' | 'unusable-email';

export type IdentityMapping =
  | { readonly ok: true; readonly principal: string; readonly source: 'override' | 'email' }
  | { readonly ok: false; readonly reason: IdentityRefusal; readonly message: string };

const NO_MAPPING_HINT = 'Ask an administrator to add you to the access policy (identities).';

/** Maps a Slack user (id and, when Slack gave one, email) to an AWS principal. */
export function mapIdentity(
  policy: Pick<AccessPolicy, 'identities' | 'identityEmailDomain'>,
  userId: string,
  email: string | undefined,
): IdentityMapping {
  const override = policy.identities[userId];
  if (override !== undefined) return { ok: true, principal: override, source: 'override' };
  const normalized = email?.trim().toLowerCase() ?? '';
  if (normalized === '' || !normalized.includes('@')) {
    return {
      ok: false,
      reason: 'no-email',
      message: `Your Slack profile has no email, so the broker cannot tell who you are in AWS. ${NO_MAPPING_HINT}`,
    };
  }
  const domain = policy.identityEmailDomain?.trim().toLowerCase();
  // Why: without the check, anyone who can set a matching local part elsewhere could act as a colleague.
  if (domain && normalized.slice(normalized.lastIndexOf('@') + 1) !== domain) {
    return {
      ok: false,
      reason: 'wrong-domain',
      message: `Only @${domain} Slack accounts map to AWS identities. ${NO_MAPPING_HINT}`,
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

/** Every Slack user group id the policy refers to (to learn who is in which group). */
export function referencedUserGroups(policy: Pick<AccessPolicy, 'people'>): string[] {
  const groups = new Set<string>();
  for (const set of Object.values(policy.people)) set.userGroups.forEach((g) => groups.add(g));
  return [...groups].sort();
}
