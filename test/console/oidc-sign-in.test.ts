import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevSessions } from '../../functions/console-api/caller.js';
import { createOidcVerifier } from '../../functions/console-api/oidc-verifier.js';
import { CONSOLE_PATH, createLocalConsole } from '../../functions/local/console-server.js';
import { systemClock } from '../../shared/adapters/ids.js';
import { fakeWorld } from '../support/fakes.js';
import { InMemoryAuditReader } from '../support/in-memory-audit-reader.js';
import { startOidcStandIn, type OidcStandIn } from '../support/oidc-stand-in.js';

/**
 * OIDC sign-in in real Chromium: the console runs the authorization code flow with PKCE against
 * a stand-in identity provider, and its API verifies the ID token against the stand-in's JWKS
 * (what API Gateway's JWT authorizer does in AWS) before the email claim names the caller.
 */

const CLIENT_ID = 'jit-console';
const LIFETIME_SECONDS = 15;
const eventually = <T>(read: () => Promise<T> | T, timeout = 20_000) =>
  expect.poll(read, { timeout, interval: 200 });

describe('OIDC sign-in', () => {
  let idp: OidcStandIn;
  let server: Server;
  let consoleUrl: string;
  let browser: Browser;
  const clock = systemClock;

  beforeAll(async () => {
    idp = await startOidcStandIn({
      clientId: CLIENT_ID,
      email: 'alice@example.com',
      lifetimeSeconds: LIFETIME_SECONDS,
    });
    const world = fakeWorld();
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    consoleUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${CONSOLE_PATH}`;
    const web = await createLocalConsole({
      api: {
        request: world.deps,
        reader: new InMemoryAuditReader(() => world.audit.events) as never,
      },
      directory: { providers: ['oidc'], emailOf: async (p) => p.id, groupsOf: async () => [] },
      devSignIn: false,
      sessions: new DevSessions(clock),
      oidc: {
        config: { issuer: idp.issuer, clientId: CLIENT_ID, scopes: ['openid', 'email'] },
        verify: createOidcVerifier({ issuer: idp.issuer, audience: [CLIENT_ID], clock }),
      },
      logger: { warn: () => undefined, error: () => undefined },
    });
    server.on('request', (req, res) => void web.handle(req, res, new URL(req.url ?? '/', consoleUrl)));
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await idp?.stop();
  });

  it('signs in with PKCE, keeps the token out of the URL and storage, and returns to sign-in at expiry', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('framenavigated', (f) => urls.push(f.url()));
    await page.goto(`${consoleUrl}#/access`);
    await page.getByRole('button', { name: 'Sign in with your identity provider' }).click();
    await eventually(() => page.getByTestId('me').textContent()).toBe('oidc:alice@example.com');

    // The IdP checked the S256 verifier; the code left the address bar; the token is nowhere but memory.
    expect(idp.tokenRequests).toEqual([{ granted: true }]);
    expect(page.url()).toBe(`${consoleUrl}#/access`);
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
    expect(stored).toBe('{}');
    expect(urls.some((u) => /id_token|access_token/.test(u))).toBe(false);

    // A short session: when the token expires the page is back at sign-in.
    await eventually(
      () => page.getByRole('button', { name: 'Sign in with your identity provider' }).count(),
      (LIFETIME_SECONDS + 20) * 1000,
    ).toBe(1);
    expect(await page.getByTestId('me').count()).toBe(0);
    await context.close();
  }, 90_000);

  it('the API refuses a token with a bad signature, another audience or past its expiry (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = { iss: idp.issuer, aud: CLIENT_ID, email: 'alice@example.com', exp: now + 300 };
    const me = (token: string) =>
      fetch(`${consoleUrl}api/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await me(idp.sign(good))).toBe(200);
    const token = idp.sign(good);
    expect(await me(`${token.slice(0, -4)}AAAA`)).toBe(401);
    expect(await me(idp.sign({ ...good, aud: 'someone-else' }))).toBe(401);
    expect(await me(idp.sign({ ...good, exp: now - 120 }))).toBe(401);
    expect(await me(idp.sign({ ...good, iss: 'https://evil.example.com' }))).toBe(401);
  });
});
