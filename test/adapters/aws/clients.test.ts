import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ListGroupsCommand } from '@aws-sdk/client-iam';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isTransientAwsError } from '../../../shared/adapters/aws/aws-errors.js';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { IamGroupMembership } from '../../../shared/targets/group/iam-group-membership.js';
import { SqsGrantQueue } from '../../../shared/adapters/aws/sqs-grant-queue.js';
import { createDocumentClient } from '../../../shared/adapters/dynamodb/client.js';
import { loadSlackSettings } from '../../../shared/adapters/slack/runtime.js';
import { AwsOperationError } from '../../../shared/domain/grant-ports.js';
import { startAwsStandIn, type AwsStandIn } from '../../support/aws-stand-in.js';

let server: Server | undefined;
const saved = { ...process.env };
afterEach(async () => {
  process.env = { ...saved };
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A local endpoint answering every query-protocol call with `xml`, recording the paths. */
async function endpoint(xml: string) {
  const hits: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push(new URLSearchParams(body).get('Action') ?? '');
      res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return { hits, url: `http://127.0.0.1:${(server?.address() as AddressInfo).port}` };
}

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

describe('createAwsClients', () => {
  it('honours AWS_ENDPOINT_URL_STS', async () => {
    const { hits, url } = await endpoint(
      '<GetCallerIdentityResponse><GetCallerIdentityResult><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
    );
    process.env = { ...saved, ...env, AWS_ENDPOINT_URL_STS: url };
    const { sts } = createAwsClients({ maxAttempts: 1 });
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe('111122223333');
    expect(hits).toEqual(['GetCallerIdentity']);
  });

  it('honours the general AWS_ENDPOINT_URL for IAM', async () => {
    const { hits, url } = await endpoint(
      '<ListGroupsResponse><ListGroupsResult><Groups/><IsTruncated>false</IsTruncated></ListGroupsResult></ListGroupsResponse>',
    );
    process.env = { ...saved, ...env, AWS_ENDPOINT_URL: url };
    const { iam } = createAwsClients({ maxAttempts: 1 });
    await iam.send(new ListGroupsCommand({}));
    expect(hits).toEqual(['ListGroups']);
  });
});

describe('deadlines (against the fault-injecting stand-in)', () => {
  let standIn: AwsStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  const deadlines = { connectMs: 300, attemptMs: 300, callMs: 5_000 };

  it('a call to a hanging IAM rejects within attempts × deadline, as a transient failure', async () => {
    standIn = await startAwsStandIn();
    process.env = { ...saved, ...standIn.env };
    standIn.state.groups.set('developers', new Set(['alice']));
    standIn.fault('RemoveUserFromGroup', { kind: 'hang' });
    const groups = new IamGroupMembership(createAwsClients({ maxAttempts: 2, deadlines }).iam);

    const started = Date.now();
    const error = await groups.remove('developers', 'alice').catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as AwsOperationError).transient).toBe(true);
    const calls = standIn.callsOf('RemoveUserFromGroup');
    expect(calls).toHaveLength(2);
    // The stand-in sees the client hang up a moment after the client gave up.
    await vi.waitFor(() => expect(calls.map((c) => c.outcome)).toEqual(['client-gave-up', 'client-gave-up']));
    // Each attempt was cut by its own deadline (generous slack: a shared, noisy machine).
    for (const call of calls) expect(call.ms ?? Infinity).toBeLessThan(deadlines.attemptMs + 1_000);
    expect(elapsed).toBeLessThan(2 * deadlines.attemptMs + 3_000);
    expect(standIn.isMember('developers', 'alice')).toBe(true);
  });

  it('caps the whole call, retries included, at callMs (aborted, transient)', async () => {
    standIn = await startAwsStandIn();
    process.env = { ...saved, ...standIn.env };
    standIn.fault('AssumeRole', { kind: 'hang' });
    const { sts } = createAwsClients({
      maxAttempts: 10,
      deadlines: { connectMs: 300, attemptMs: 300, callMs: 700 },
    });

    const error = await sts
      .send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/jit/x', RoleSessionName: 's' }))
      .catch((e: unknown) => e);

    expect(isTransientAwsError(error)).toBe(true);
    // 10 attempts × 300 ms would be 3 s; the call deadline stopped it after about two.
    expect(standIn.callsOf('AssumeRole').length).toBeLessThan(5);
  });

  it('the SQS client (JSON protocol) throws on a hung SendMessage too', async () => {
    standIn = await startAwsStandIn();
    process.env = { ...saved, ...standIn.env };
    standIn.fault('SendMessage', { kind: 'hang' });
    const { sqs } = createAwsClients({ maxAttempts: 1, deadlines });
    const queue = new SqsGrantQueue(sqs, `${standIn.url}/sqs/111122223333/grants`);

    await expect(queue.enqueue({ kind: 'activate', requestId: 'r1' })).rejects.toMatchObject({
      transient: true,
    });
    standIn.clearFaults();
    await queue.enqueue({ kind: 'activate', requestId: 'r2' });
    expect(standIn.state.sqsMessages.map((m) => JSON.parse(m.body) as unknown)).toEqual([
      { kind: 'activate', requestId: 'r2' },
    ]);
  });

  it('the DynamoDB document client throws on a hung call', async () => {
    const hung = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    try {
      const doc = createDocumentClient(
        {
          endpoint: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        },
        { maxAttempts: 1, deadlines },
      );
      const error = await doc
        .send(new GetCommand({ TableName: 't', Key: { pk: 'x' } }))
        .catch((e: unknown) => e);
      expect((error as Error).name).toBe('TimeoutError');
      expect(isTransientAwsError(error)).toBe(true);
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });
});

describe('the Slack secret, from the Secrets Manager at AWS_ENDPOINT_URL_SECRETS_MANAGER', () => {
  // One stand-in for both: the secrets provider is built once a process, with its endpoint.
  let standIn: AwsStandIn;
  beforeAll(async () => {
    standIn = await startAwsStandIn();
  });
  afterAll(() => standIn.close());
  const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`;

  it('is read through the endpoint variable and gives the Slack settings', async () => {
    process.env = { ...saved, ...standIn.env };
    standIn.state.secrets.set(
      arn('jit-slack'),
      JSON.stringify({ signingSecret: 'stand-in-signing', botToken: 'xoxb-stand-in' }),
    );
    const settings = await loadSlackSettings({ SLACK_SECRET_ARN: arn('jit-slack') });
    expect(settings).toEqual({ signingSecret: 'stand-in-signing', botToken: 'xoxb-stand-in' });
    expect(standIn.callsOf('GetSecretValue').map((c) => [c.service, c.params.SecretId])).toEqual([
      ['secrets-manager', arn('jit-slack')],
    ]);
  });

  it('is refused, naming the key and never its value, when it is not {signingSecret, botToken}', async () => {
    process.env = { ...saved, ...standIn.env };
    standIn.state.secrets.set(arn('jit-slack-bad'), JSON.stringify({ signingSecret: 'stand-in-leak' }));
    const failure = loadSlackSettings({ SLACK_SECRET_ARN: arn('jit-slack-bad') });
    await expect(failure).rejects.toThrow(/SLACK_SECRET_ARN: .*botToken/);
    await expect(failure).rejects.not.toThrow(/stand-in-leak/);
  });
});
