import type { OidcSignInConfig } from '../../shared/api/console-schema.js';

/**
 * Sign-in through the organization's OIDC identity provider: the authorization code flow with
 * PKCE (S256), no client secret (a browser cannot keep one). The verifier and state wait in
 * sessionStorage across the redirect and are removed as soon as the code comes back; the token
 * itself lives in page memory only (api.ts) and never in a URL: the code and state are wiped
 * from the address bar before anything else happens.
 */

const PENDING_KEY = 'jit-console.oidc-pending';

/** What a sign-in returns: the bearer token for the API and when it stops working (ms epoch). */
export interface OidcSession {
  readonly token: string;
  readonly expiresAt: number;
}

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The PKCE S256 challenge of a verifier (RFC 7636 §4.2). */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw new Error(`The identity provider did not answer (HTTP ${response.status}).`);
  const body = (await response.json()) as Partial<Discovery>;
  if (typeof body.authorization_endpoint !== 'string' || typeof body.token_endpoint !== 'string') {
    throw new Error('The identity provider’s discovery document has no authorization or token endpoint.');
  }
  return { authorization_endpoint: body.authorization_endpoint, token_endpoint: body.token_endpoint };
}

function redirectUriOf(config: OidcSignInConfig): string {
  return config.redirectUri ?? `${location.origin}${location.pathname}`;
}

/** Sends the browser to the identity provider (the page is left). */
export async function beginOidcSignIn(config: OidcSignInConfig): Promise<void> {
  const { authorization_endpoint } = await discover(config.issuer);
  const verifier = randomText();
  const state = randomText();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUriOf(config),
    scope: config.scopes.join(' '),
    state,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/**
 * Finishes a sign-in when the page is the identity provider's redirect back (`?code&state`):
 * wipes them from the address bar, checks the state, and trades the code and the verifier for
 * tokens. Undefined when the page was not opened by such a redirect.
 */
export async function completeOidcSignIn(config: OidcSignInConfig): Promise<OidcSession | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return undefined;
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const saved = pending
    ? (JSON.parse(pending) as { verifier: string; state: string; hash: string })
    : undefined;
  // Why first: the code must not stay in the address bar, the history or a Referer.
  history.replaceState(null, '', `${location.pathname}${saved?.hash ?? ''}`);
  if (error !== null) throw new Error(`The identity provider refused the sign-in (${error}).`);
  // Why: a code we did not ask for (login CSRF) or a replayed one is not signed in with.
  if (!saved || params.get('state') !== saved.state)
    throw new Error('The sign-in answer does not match; sign in again.');
  const { token_endpoint } = await discover(config.issuer);
  const response = await fetch(token_endpoint, {
    method: 'POST',
    credentials: 'omit',
    cache: 'no-store',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUriOf(config),
      client_id: config.clientId,
      code_verifier: saved.verifier,
    }).toString(),
  });
  if (!response.ok) throw new Error(`The identity provider refused the sign-in (HTTP ${response.status}).`);
  const tokens = (await response.json()) as { id_token?: string; expires_in?: number };
  // The ID token: its audience is this client (what the API's JWT authorizer checks) and it names the email.
  if (typeof tokens.id_token !== 'string') throw new Error('The identity provider returned no ID token.');
  return { token: tokens.id_token, expiresAt: expiryOf(tokens.id_token, tokens.expires_in) };
}

/** When a JWT stops working: its `exp` (read, not trusted: the server verifies), else `expires_in`. */
function expiryOf(jwt: string, expiresIn: number | undefined): number {
  try {
    const payload = JSON.parse(atob((jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: number;
    };
    if (typeof payload.exp === 'number') return payload.exp * 1000;
  } catch {
    // Not a readable JWT: fall back to the token endpoint's lifetime.
  }
  return Date.now() + (expiresIn ?? 900) * 1000;
}
