import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FederationConsole } from '../../../shared/adapters/aws/federation-console.js';
import { AwsOperationError } from '../../../shared/domain/grant-ports.js';

const credentials = {
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'secret/with+chars',
  sessionToken: 'token==',
  expiration: new Date('2026-11-27T10:00:00Z'),
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A stand-in for signin.aws.amazon.com/federation on 127.0.0.1, recording the requests. */
async function standIn(reply: (url: URL) => { status: number; body: string }) {
  const seen: URL[] = [];
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push(url);
    const { status, body } = reply(url);
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  const port = (server?.address() as AddressInfo).port;
  return { seen, federationUrl: `http://127.0.0.1:${port}/federation` };
}

describe('FederationConsole', () => {
  it('exchanges the session for a sign-in token and builds the login link', async () => {
    const { seen, federationUrl } = await standIn(() => ({ status: 200, body: '{"SigninToken":"tok-123"}' }));
    const links = new FederationConsole({
      federationUrl,
      issuer: 'jit-broker',
      destination: 'https://console.aws.amazon.com/',
    });
    const url = new URL(await links.signInUrl(credentials));

    expect(seen).toHaveLength(1);
    expect(seen[0]?.pathname).toBe('/federation');
    expect(seen[0]?.searchParams.get('Action')).toBe('getSigninToken');
    expect(seen[0]?.searchParams.has('SessionDuration')).toBe(false);
    expect(JSON.parse(seen[0]?.searchParams.get('Session') ?? '')).toEqual({
      sessionId: 'ASIAEXAMPLE',
      sessionKey: 'secret/with+chars',
      sessionToken: 'token==',
    });
    expect(url.origin + url.pathname).toBe(federationUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'login',
      Issuer: 'jit-broker',
      Destination: 'https://console.aws.amazon.com/',
      SigninToken: 'tok-123',
    });
  });

  it.each([
    { description: 'a 5xx is transient', status: 503, body: 'down', transient: true },
    { description: 'a 4xx is permanent', status: 400, body: 'bad', transient: false },
    { description: 'a reply without a token is permanent', status: 200, body: '{}', transient: false },
  ])('fails without echoing credentials: $description', async ({ status, body, transient }) => {
    const { federationUrl } = await standIn(() => ({ status, body }));
    const error = await new FederationConsole({ federationUrl })
      .signInUrl(credentials)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ transient });
    expect(String((error as Error).message)).not.toContain('secret');
  });

  it('uses the injected fetch', async () => {
    const calls: string[] = [];
    const links = new FederationConsole({
      federationUrl: 'https://signin.test/federation',
      fetch: async (url) => {
        calls.push(url);
        return { ok: true, status: 200, text: async () => '{"SigninToken":"t"}' };
      },
    });
    await expect(links.signInUrl(credentials)).resolves.toContain('SigninToken=t');
    expect(calls[0]).toMatch(/^https:\/\/signin\.test\/federation\?Action=getSigninToken/);
  });

  it.each([
    ['aws', 'https://signin.aws.amazon.com/federation', 'https://console.aws.amazon.com/'],
    ['aws-us-gov', 'https://signin.amazonaws-us-gov.com/federation', 'https://console.amazonaws-us-gov.com/'],
    ['aws-cn', 'https://signin.amazonaws.cn/federation', 'https://console.amazonaws.cn/'],
  ] as const)("uses the %s partition's own sign-in and console hosts", async (partition, signin, home) => {
    const asked: string[] = [];
    const links = new FederationConsole({
      fetch: async (url) => {
        asked.push(url);
        return { ok: true, status: 200, text: async () => '{"SigninToken":"t"}' };
      },
    });
    const url = new URL(await links.signInUrl(credentials, { partition }));
    expect(asked[0]?.startsWith(`${signin}?`)).toBe(true);
    expect(url.origin + url.pathname).toBe(signin);
    expect(url.searchParams.get('Destination')).toBe(home);
  });
});
