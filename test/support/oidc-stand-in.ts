import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OIDC identity provider for tests: discovery, an authorize endpoint that signs the
 * configured person in at once (no login page) and redirects back with a code, a token endpoint
 * that gives an RS256 ID token only for the PKCE verifier of that code's S256 challenge, and the
 * JWKS. CORS is open, as a real IdP's discovery and token endpoints are for browser clients.
 */
export interface OidcStandIn {
  readonly issuer: string;
  readonly clientId: string;
  /** Every token request, with whether it was granted (to see PKCE was checked). */
  readonly tokenRequests: { readonly granted: boolean; readonly why?: string }[];
  /** Signs claims with the stand-in's key (for tokens a test makes itself). */
  sign(claims: Record<string, unknown>): string;
  stop(): Promise<void>;
}

export async function startOidcStandIn(options: {
  readonly clientId: string;
  readonly email: string;
  /** ID token lifetime in seconds. Default 600. */
  readonly lifetimeSeconds?: number;
}): Promise<OidcStandIn> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();
  const tokenRequests: { granted: boolean; why?: string }[] = [];
  let issuer = '';

  const jwt = (claims: Record<string, unknown>) => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Headers': 'content-type, accept',
        'Access-Control-Allow-Methods': 'GET, POST',
      });
      return void res.end();
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') {
      return json(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
    }
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !redirectUri) {
        return json(400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('base64url');
      codes.set(code, {
        challenge: q.get('code_challenge') ?? '',
        redirectUri,
        clientId: q.get('client_id') ?? '',
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { Location: back.toString() });
      return void res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const code = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const why = !code
          ? 'unknown or used code'
          : createHash('sha256').update(verifier).digest('base64url') !== code.challenge
            ? 'PKCE verifier does not match'
            : form.get('redirect_uri') !== code.redirectUri || form.get('client_id') !== code.clientId
              ? 'client or redirect mismatch'
              : undefined;
        tokenRequests.push(why ? { granted: false, why } : { granted: true });
        if (why) return json(400, { error: 'invalid_grant', error_description: why });
        const now = Math.floor(Date.now() / 1000);
        const lifetime = options.lifetimeSeconds ?? 600;
        return json(200, {
          token_type: 'Bearer',
          expires_in: lifetime,
          id_token: jwt({
            iss: issuer,
            aud: options.clientId,
            sub: 'user-1',
            email: options.email,
            email_verified: true,
            iat: now,
            exp: now + lifetime,
          }),
        });
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    clientId: options.clientId,
    tokenRequests,
    sign: jwt,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
