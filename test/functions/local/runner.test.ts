import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/config.js';
import { startLocalBroker, type LocalBroker } from '../../../functions/local/runner.js';
import { PEOPLE, playScenario } from '../../../functions/local/scenario.js';
import { slackSignature } from '../../../shared/adapters/slack/signature.js';
import { ConfigError } from '../../../shared/domain/errors.js';

describe('the local runner, end to end over HTTP', () => {
  let broker: LocalBroker;
  let offsetSeconds = 0;
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
    broker = await startLocalBroker({
      config,
      clock: { now: () => new Date(Date.now() + offsetSeconds * 1000) },
    });
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
      'audit query',
      'verify',
    ]);
    const state = broker.sandbox?.state();
    expect(state?.groups).toEqual({ 'jit-developers': [] });
    // Released early: removed, then removed once more after the REVOKED write (the seal).
    expect(state?.history.map((h) => h.action)).toEqual([
      'AddUserToGroup',
      'AssumeRole',
      'RemoveUserFromGroup',
      'RemoveUserFromGroup',
    ]);
    expect(state?.sessions[0]).toMatchObject({
      sourceIdentity: `${PEOPLE.requester.toLowerCase()}@example.com`,
    });
    // Credentials went to the private modal only: no message anywhere carries them.
    const posts = broker.slack?.calls.filter((c) => c.method.startsWith('chat.')) ?? [];
    expect(JSON.stringify(posts)).not.toMatch(/ASIASANDBOX|AWS_SECRET_ACCESS_KEY/);
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

  it('serves health, and 404 elsewhere', async () => {
    const health = await (await fetch(`${broker.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', awsMode: 'sandbox', deadLetters: 0 });
    expect((await fetch(`${broker.url}/nope`)).status).toBe(404);
  });
});

describe('local configuration', () => {
  it('has a default for everything', () => {
    expect(readLocalConfig({})).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', AWS_MODE: 'sandbox' });
  });

  it.each([
    ['PORT', 'abc', /PORT: /],
    ['AWS_MODE', 'prod', /AWS_MODE: must be sandbox or aws/],
    ['SLACK_APP_TOKEN', 'xoxb-nope', /SLACK_APP_TOKEN: must be an app-level token/],
    ['SWEEP_INTERVAL_SECONDS', '0', /SWEEP_INTERVAL_SECONDS: /],
  ])('stops on a bad %s, naming it', (name, value, message) => {
    expect(() => readLocalConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readLocalConfig({ [name]: value })).toThrow(message);
  });
});
