import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/config.js';
import {
  assertSafeLocalConfig,
  PortInUseError,
  startLocalBroker,
  type LocalBroker,
} from '../../../functions/local/runner.js';
import { PEOPLE, playScenario, SHOP_ACCOUNTS } from '../../../functions/local/scenario.js';
import { playEvidence } from '../../../functions/local/demo-evidence.js';
import { slackSignature } from '../../../shared/adapters/slack/signature.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { EXIT, main as jit } from '../../../functions/cli/jit.js';
import { LOCAL_API_KEYS } from '../../../functions/local/request-api-gate.js';

describe('the local runner, end to end over HTTP', () => {
  let broker: LocalBroker;
  let offsetSeconds = 0;
  const clock = { now: () => new Date(Date.now() + offsetSeconds * 1000) };
  const startedAt = new Date();
  const signingSecret = 'e2e-signing-secret-0123456789';

  beforeAll(async () => {
    const config = readLocalConfig({
      PORT: '0',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      TABLE_PREFIX: `e2e-${randomUUID().slice(0, 8)}-`,
      SLACK_SIGNING_SECRET: signingSecret,
      SWEEP_INTERVAL_SECONDS: '3600',
      LOCAL_QUIET: 'true',
    });
    broker = await startLocalBroker({ config, clock });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('plays request, approval, grant, credentials, release, expiry, audit query and verify', async () => {
    const steps = await playScenario({
      url: broker.url,
      signingSecret,
      advanceClock: (seconds) => {
        offsetSeconds += seconds;
      },
    });
    expect(steps.map((s) => s.name)).toEqual([
      'request',
      'approve',
      'grant',
      'approve 2 of 2',
      'credentials',
      'release',
      'expiry',
      'permission set',
      'scheduled start',
      'grace',
      'expiry + seal',
      'audit query',
      'verify',
    ]);
    const state = broker.sandbox?.state();
    expect(state?.groups).toEqual({ 'jit-developers': [], 'jit-testers': [] });
    // Released early: removed, then removed once more after the REVOKED write (the seal).
    const roleAndGroup = state?.history.filter(
      (h) => h.detail.groupName === 'jit-developers' || h.action === 'AssumeRole',
    );
    expect(roleAndGroup?.map((h) => h.action)).toEqual([
      'AddUserToGroup',
      'AssumeRole',
      'RemoveUserFromGroup',
      'RemoveUserFromGroup',
    ]);
    // The permission set: each account's assignment created (IN_PROGRESS, then SUCCEEDED) and
    // deleted the same way; each account sealed and the seal provisioned.
    const identityCenter = state?.history.filter((h) => h.detail.account !== undefined) ?? [];
    for (const account of SHOP_ACCOUNTS) {
      expect(
        identityCenter
          .filter((h) => h.detail.account === account)
          .map((h) => `${h.action} ${h.detail.status}`),
      ).toEqual(
        expect.arrayContaining([
          'CreateAccountAssignment IN_PROGRESS',
          'CreateAccountAssignment SUCCEEDED',
          'DeleteAccountAssignment IN_PROGRESS',
          'DeleteAccountAssignment SUCCEEDED',
          'ProvisionPermissionSet SUCCEEDED',
        ]),
      );
    }
    expect(state?.identityCenter.assignments).toEqual([]);
    const policies = Object.values(state?.identityCenter.inlinePolicies ?? {}).join('');
    for (const account of SHOP_ACCOUNTS) expect(policies).toContain(`"JitSeal${account}`);
    expect(state?.sessions[0]).toMatchObject({
      sourceIdentity: `${PEOPLE.requester.toLowerCase()}@example.com`,
    });
    // Credentials went to the private modal only: no message anywhere carries them.
    const posts = broker.slack?.calls.filter((c) => c.method.startsWith('chat.')) ?? [];
    expect(JSON.stringify(posts)).not.toMatch(/ASIASANDBOX|AWS_SECRET_ACCESS_KEY/);
  });

  it('ends as the demo does: an anchor, `verify --anchored` passing and a report of the demo targets', async () => {
    const { steps, verify, report } = await playEvidence(broker.evidence, { clock, since: startedAt });
    expect(steps.map((s) => s.name)).toEqual(['anchor', 'verify anchors', 'report']);
    expect(verify).toMatchObject({ exitCode: 0, stderr: '' });
    expect(verify.command).toContain(`--public-key ${broker.evidence.anchors.publicKeyFile}`);
    expect(verify.stdout).toMatch(/^OK: every chain extends [1-9]\d* signed anchors/m);
    expect(report).toMatchObject({ exitCode: 0, stderr: '' });
    for (const target of ['developers', 'prod-operator', 'shop-admin', 'testers']) {
      expect(report.stdout).toMatch(new RegExp(`^${target}  [1-9]\\d* grants`, 'm'));
    }
    expect(report.stdout).toContain(`${PEOPLE.lead} `);
  });

  it('answers 401 to a Slack request signed with another secret, and writes nothing', async () => {
    const body = 'command=%2Frequest-access&user_id=U0DEV00001&trigger_id=t1&team_id=T1&channel_id=C1&text=';
    const timestamp = Math.floor(Date.now() / 1000);
    const before = broker.slack?.calls.length;
    const response = await fetch(`${broker.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature('not-the-secret', timestamp, body),
      },
      body,
    });
    expect(response.status).toBe(401);
    expect(broker.slack?.calls.length).toBe(before);
  });

  it('never serves credentials again: /sandbox redacts the secret parts of the credentials modal', async () => {
    const text = await (await fetch(`${broker.url}/sandbox`)).text();
    expect(text).toContain('AWS_ACCESS_KEY_ID');
    expect(text).toContain('AWS_SECRET_ACCESS_KEY=[redacted]');
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY=(?!\[redacted\])/);
    expect(text).not.toMatch(/AWS_SESSION_TOKEN=(?!\[redacted\])/);
  });

  it('answers 403 to the audit trail, the sandbox and health addressed by another host name', async () => {
    const { request } = await import('node:http');
    const status = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(path, broker.url);
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'rebound.example' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await status('/audit/verify')).toBe(403);
    expect(await status('/sandbox')).toBe(403);
    expect(await status('/health')).toBe(403);
  });

  it('serves health, and 404 elsewhere', async () => {
    const response = await fetch(`${broker.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      dynamodb: 'ok',
      awsMode: 'sandbox',
      deadLetters: 0,
      sweeper: { stuck: false },
    });
    expect((await fetch(`${broker.url}/nope`)).status).toBe(404);
  });

  it('serves the request API at /api to the jit CLI signed with a local key, as the example policy maps it', async () => {
    const as = async (keyId: string, ...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await jit([...argv, '--url', `${broker.url}/api`, '--region', 'us-east-1'], {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        env: {},
        credentials: { accessKeyId: keyId, secretAccessKey: LOCAL_API_KEYS[keyId]!.secretAccessKey },
      });
      return { code, stdout, stderr };
    };
    // A scheduled window (no live grant of the scenario is touched), approved by the lead.
    const start = new Date(clock.now().getTime() + 86_400_000);
    start.setUTCHours(2, 0, 0, 0);
    const requested = await as(
      'JITLOCALDEVELOPER001',
      'request',
      'developers',
      '--for',
      '1h',
      '--reason',
      'migration',
      '--start',
      start.toISOString(),
      '--json',
    );
    expect(requested).toMatchObject({ code: EXIT.ok, stderr: '' });
    const request = (JSON.parse(requested.stdout) as { request: { id: string; requester: string } }).request;
    expect(request.requester).toBe(PEOPLE.requester);
    expect((await as('JITLOCALLEAD00000001', 'approve', request.id)).code).toBe(EXIT.ok);
    const ls = await as('JITLOCALDEVELOPER001', 'ls');
    expect(ls.stdout).toContain(`${request.id}  developers  scheduled, starts ${start.toISOString()} for 1h`);
    expect((await as('JITLOCALDEVELOPER001', 'cancel', request.id)).code).toBe(EXIT.ok);
  });

  it('ran its first sweep at start-up, and health reports it', async () => {
    await expect
      .poll(async () => (await broker.health()).sweeper.lastRunAt, { timeout: 20_000 })
      .not.toBeNull();
  });
});

describe('local runner start-up', () => {
  const base = () => ({
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    TABLE_PREFIX: `start-${randomUUID().slice(0, 8)}-`,
    SWEEP_INTERVAL_SECONDS: '3600',
    LOCAL_QUIET: 'true',
  });

  it('says in one line that the port is in use', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const config = readLocalConfig({ ...base(), PORT: String(port) });
      await expect(startLocalBroker({ config })).rejects.toThrow(new PortInUseError(port, '127.0.0.1'));
      await expect(startLocalBroker({ config })).rejects.toThrow(
        `port ${port} on 127.0.0.1 is in use (another broker?): set PORT or stop it`,
      );
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('honours the grant settings of the Lambda functions: a policy role outside MANAGED_IAM_PATH stops it', async () => {
    const config = readLocalConfig({ ...base(), PORT: '0', MANAGED_IAM_PATH: '/elsewhere/' });
    await expect(startLocalBroker({ config })).rejects.toThrow(/MANAGED_IAM_PATH \/elsewhere\//);
  });

  it('keeps the grant settings it was started with', async () => {
    const broker = await startLocalBroker({
      config: readLocalConfig({ ...base(), PORT: '0', GRANT_MAX_ATTEMPTS: '2', REVOKE_MARGIN_SECONDS: '30' }),
    });
    try {
      expect(broker.config.grant).toMatchObject({ maxAttempts: 2, revokeMarginSeconds: 30 });
    } finally {
      await broker.stop();
    }
  });
});

describe('local configuration', () => {
  it.each([
    { description: 'the real AWS clients', env: { AWS_MODE: 'aws' } },
    { description: 'a real Slack Web API', env: { SLACK_API_URL: 'https://slack.com/api/' } },
    { description: 'Socket Mode', env: { SLACK_APP_TOKEN: 'xapp-1-abc' } },
    { description: 'a non-loopback HOST', env: { HOST: '0.0.0.0' } },
  ])('refuses the public default signing secret with $description', ({ env }) => {
    expect(() => assertSafeLocalConfig(readLocalConfig(env))).toThrow(
      /SLACK_SIGNING_SECRET: the built-in local secret/,
    );
    expect(() =>
      assertSafeLocalConfig(readLocalConfig({ ...env, SLACK_SIGNING_SECRET: 'my-own-app-secret' })),
    ).not.toThrow();
  });

  it('accepts the default secret when everything is sandboxed on loopback', () => {
    expect(() => assertSafeLocalConfig(readLocalConfig({}))).not.toThrow();
  });

  it('has a default for everything', () => {
    expect(readLocalConfig({})).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', AWS_MODE: 'sandbox' });
  });

  it.each([
    ['PORT', 'abc', /PORT: /],
    ['AWS_MODE', 'prod', /AWS_MODE: must be sandbox or aws/],
    ['SLACK_APP_TOKEN', 'xoxb-nope', /SLACK_APP_TOKEN: must be an app-level token/],
    ['SWEEP_INTERVAL_SECONDS', '0', /SWEEP_INTERVAL_SECONDS: /],
    ['GRANT_MAX_ATTEMPTS', 'many', /GRANT_MAX_ATTEMPTS: /],
    ['SWEEP_CONCURRENCY', '0', /SWEEP_CONCURRENCY: /],
    ['REVOKE_MARGIN_SECONDS', '-1', /REVOKE_MARGIN_SECONDS: /],
    ['FEDERATION_URL', 'not a url', /FEDERATION_URL: /],
    ['CONSOLE_DESTINATION_URL', 'nope', /CONSOLE_DESTINATION_URL: /],
    ['MANAGED_IAM_PATH', 'jit', /MANAGED_IAM_PATH: is not an IAM path/],
  ])('stops on a bad %s, naming it', (name, value, message) => {
    expect(() => readLocalConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readLocalConfig({ [name]: value })).toThrow(message);
  });
});
