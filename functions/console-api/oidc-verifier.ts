import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { NotAuthorizedError } from '../../shared/domain/errors.js';
import type { Clock } from '../../shared/domain/ports.js';
import type { JwtClaims } from './caller.js';

/**
 * Verifies an OIDC ID token the way API Gateway's JWT authorizer does in AWS (signature against
 * the issuer's JWKS, `iss`, `aud`, `exp`, `nbf`), for where no API Gateway stands in front of the
 * console API: the local runner and the tests. Node's crypto only (RS256, ES256); the keys are
 * fetched once from the issuer's discovery document and again when a token names an unknown key.
 */
export interface OidcVerifierOptions {
  readonly issuer: string;
  /** Accepted audiences (client ids). */
  readonly audience: readonly string[];
  readonly clock: Clock;
  /** Seconds of clock skew tolerated on `exp` and `nbf`. Default 60. */
  readonly leewaySeconds?: number;
  readonly fetch?: typeof fetch;
}

/** Verifies a bearer token; resolves to its claims or rejects with NotAuthorizedError. */
export type OidcVerifier = (token: string) => Promise<JwtClaims>;

const ALGORITHMS: Readonly<Record<string, { hash: string; dsa?: 'ieee-p1363' }>> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', dsa: 'ieee-p1363' },
};

function refused(why: string): NotAuthorizedError {
  return new NotAuthorizedError('invalid-token', `Sign in again (${why}).`);
}

function decodePart(part: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // falls through to the refusal below
  }
  throw refused('the token is not a JWT');
}

export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const get = options.fetch ?? fetch;
  const leeway = options.leewaySeconds ?? 60;
  let keys: Map<string, KeyObject> | undefined;

  const loadKeys = async () => {
    const discovery = (await (
      await get(`${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`)
    ).json()) as { jwks_uri?: string };
    if (typeof discovery.jwks_uri !== 'string') throw new Error('the issuer publishes no jwks_uri');
    const jwks = (await (await get(discovery.jwks_uri)).json()) as {
      keys?: (JsonWebKey & { kid?: string })[];
    };
    keys = new Map((jwks.keys ?? []).map((k) => [k.kid ?? '', createPublicKey({ key: k, format: 'jwk' })]));
    return keys;
  };

  return async (token) => {
    const [head, body, signature] = token.split('.');
    const header = decodePart(head);
    const algorithm = ALGORITHMS[String(header.alg)];
    // Why: only asymmetric algorithms the IdP signs with; "none" or HS256 would let anyone mint tokens.
    if (!algorithm || signature === undefined) throw refused('unsupported signing algorithm');
    const kid = typeof header.kid === 'string' ? header.kid : '';
    let key = (keys ?? (await loadKeys())).get(kid);
    if (!key) key = (await loadKeys()).get(kid);
    if (!key) throw refused('unknown signing key');
    const signed = verify(
      algorithm.hash,
      Buffer.from(`${head}.${body}`),
      algorithm.dsa ? { key, dsaEncoding: algorithm.dsa } : key,
      Buffer.from(signature, 'base64url'),
    );
    if (!signed) throw refused('bad signature');
    const claims = decodePart(body);
    const now = options.clock.now().getTime() / 1000;
    if (claims.iss !== options.issuer) throw refused('wrong issuer');
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.some((a) => typeof a === 'string' && options.audience.includes(a)))
      throw refused('wrong audience');
    if (typeof claims.exp !== 'number' || claims.exp + leeway <= now) throw refused('the token expired');
    if (typeof claims.nbf === 'number' && claims.nbf - leeway > now)
      throw refused('the token is not valid yet');
    return claims as JwtClaims;
  };
}
