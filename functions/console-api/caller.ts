import { randomBytes } from 'node:crypto';
import { NotAuthorizedError } from '../../shared/domain/errors.js';
import { referencedIdpGroups } from '../../shared/domain/identity.js';
import { tryParsePerson, type Person, type PersonProvider } from '../../shared/domain/person.js';
import type { AccessPolicy } from '../../shared/domain/policy.js';
import type { Clock, PersonDirectory } from '../../shared/domain/ports.js';

/**
 * Who is calling the console API, and the directory that answers for them. This is the one
 * place that turns a front-door credential into a Person; swap it to change sign-in.
 *
 * - In AWS, API Gateway's JWT authorizer has verified the organization's OIDC token; the
 *   email claim names an `oidc:<email>` person whose email is that claim and whose IdP
 *   groups are the token's `groups` claim. The policy then decides about them exactly as it
 *   does about a Slack person and their Slack email (people sets by email or IdP group,
 *   identities, email → AWS principal).
 * - Locally, a development session names a person of the policy (see DevSessions).
 */
export interface ConsoleCaller {
  readonly person: Person;
  readonly directory: PersonDirectory;
}

/** The verified claims of an OIDC token (API Gateway's `requestContext.authorizer.jwt.claims`). */
export type JwtClaims = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** API Gateway passes list claims as "[a b]" strings; tokens as arrays. */
function listClaim(value: JwtClaims[string]): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter((g) => g !== '');
}

/**
 * The caller named by verified OIDC claims. Throws NotAuthorizedError without a usable email
 * claim. Why: the email is what the policy knows people by; a token without one names nobody.
 */
export function callerFromClaims(
  claims: JwtClaims,
  options: { readonly emailClaim: string; readonly groupsClaim?: string; readonly policy: AccessPolicy },
): ConsoleCaller {
  const raw = claims[options.emailClaim];
  const email = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  // Why: an unverified email could be any address the user typed at the IdP.
  if (claims.email_verified === false || claims.email_verified === 'false') {
    throw new NotAuthorizedError('email-unverified', 'Your identity provider has not verified your email.');
  }
  const parsed = tryParsePerson(`oidc:${email}`);
  if (email === '' || 'problem' in parsed) {
    throw new NotAuthorizedError('no-email-claim', 'Your sign-in token carries no usable email.');
  }
  const tokenGroups = listClaim(claims[options.groupsClaim ?? 'groups']);
  const wanted = new Set(referencedIdpGroups(options.policy));
  return {
    person: parsed.person,
    directory: {
      providers: ['oidc'] satisfies PersonProvider[],
      emailOf: async () => email,
      groupsOf: async (_person, groups) => tokenGroups.filter((g) => groups.includes(g) && wanted.has(g)),
    },
  };
}

/** How long a development session lasts: short, like the sessions it stands in for. */
export const DEV_SESSION_SECONDS = 15 * 60;

/**
 * Development sign-in for the local console: pick a person of the policy, get a random bearer
 * token that names them for DEV_SESSION_SECONDS. Kept in memory only. The runner offers it
 * only while sandboxed on loopback (see functions/local/console-server.ts).
 */
export class DevSessions {
  private readonly sessions = new Map<string, { person: Person; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlSeconds = DEV_SESSION_SECONDS,
  ) {}

  /** The persons a development session may name: every person a people set lists by id. */
  static peopleOf(policy: AccessPolicy): string[] {
    return [...new Set(Object.values(policy.people).flatMap((set) => set.users))].sort();
  }

  /** A new session for the policy's person `key`; NotAuthorizedError for anyone else. */
  signIn(policy: AccessPolicy, key: string): { token: string; expiresAt: string } {
    // Why: only people the policy names; an arbitrary id would let anyone act as anyone.
    const parsed = tryParsePerson(key);
    if ('problem' in parsed || !DevSessions.peopleOf(policy).includes(key)) {
      throw new NotAuthorizedError('unknown-person', 'Pick a person the policy names.');
    }
    const now = this.clock.now().getTime();
    for (const [token, session] of this.sessions) if (session.until <= now) this.sessions.delete(token);
    const token = randomBytes(32).toString('base64url');
    const until = now + this.ttlSeconds * 1000;
    this.sessions.set(token, { person: parsed.person, until });
    return { token, expiresAt: new Date(until).toISOString() };
  }

  /** The person a bearer token names, or undefined for an unknown or expired one. */
  personOf(token: string): Person | undefined {
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (session.until <= this.clock.now().getTime()) {
      this.sessions.delete(token);
      return undefined;
    }
    return session.person;
  }

  signOut(token: string): void {
    this.sessions.delete(token);
  }
}

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = headers.authorization ?? headers.Authorization;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{16,4096})$/.exec(value ?? '');
  return match?.[1];
}
