import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createIamClient } from '../../../shared/adapters/aws/clients.js';
import { AwsOperationError } from '../../../shared/domain/grant-ports.js';
import { agentRoleGroups } from '../../../shared/targets/group/member-account-groups.js';

const sts = mockClient(STSClient);
const saved = { ...process.env };
let server: Server | undefined;
afterEach(async () => {
  sts.reset();
  process.env = { ...saved };
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A local IAM endpoint recording each call's action and the credentials it was signed with. */
async function iamEndpoint() {
  const calls: { action: string; accessKeyId: string; token: string | undefined; group: string | null }[] =
    [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const auth = req.headers.authorization ?? '';
      calls.push({
        action: params.get('Action') ?? '',
        accessKeyId: /Credential=([^/]+)\//.exec(auth)?.[1] ?? '',
        token: req.headers['x-amz-security-token'] as string | undefined,
        group: params.get('GroupName'),
      });
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          '<AddUserToGroupResponse><ResponseMetadata><RequestId>iam-1</RequestId></ResponseMetadata></AddUserToGroupResponse>',
        );
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return { calls, url: `http://127.0.0.1:${(server?.address() as AddressInfo).port}` };
}

const assumed = {
  AccessKeyId: 'ASIAAGENTROLE',
  SecretAccessKey: 'agent-secret',
  SessionToken: 'agent-token',
  Expiration: new Date('2099-01-01T00:00:00Z'),
};

describe('agentRoleGroups (IAM groups in member accounts)', () => {
  it('assumes the agent role with a session naming the broker, then calls IAM with those credentials', async () => {
    const { calls, url } = await iamEndpoint();
    process.env = {
      ...saved,
      AWS_ENDPOINT_URL_IAM: url,
      AWS_ACCESS_KEY_ID: 'TESTKEYBROKER',
      AWS_SECRET_ACCESS_KEY: 'x',
    };
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumed, $metadata: {} });
    const groups = agentRoleGroups({
      sts: new STSClient({ region: 'us-east-1' }),
      iamClient: (credentials) => createIamClient({ maxAttempts: 1 }, credentials),
      sessionName: 'jit-broker-worker',
    });
    await groups('444455556666', 'jit-broker-agent').add('jit-developers', 'alice');
    await groups('444455556666', 'jit-broker-agent').add('jit-developers', 'bob');

    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: 'arn:aws:iam::444455556666:role/jit-broker-agent',
        RoleSessionName: 'jit-broker-worker',
        DurationSeconds: 900,
      },
    ]);
    // Signed as the agent role, never with the broker's own keys; the session is reused.
    expect(calls).toEqual([
      {
        action: 'AddUserToGroup',
        accessKeyId: 'ASIAAGENTROLE',
        token: 'agent-token',
        group: 'jit-developers',
      },
      {
        action: 'AddUserToGroup',
        accessKeyId: 'ASIAAGENTROLE',
        token: 'agent-token',
        group: 'jit-developers',
      },
    ]);
  });

  it('fails with the AssumeRole operation when the agent role cannot be assumed, and calls no IAM', async () => {
    const { calls, url } = await iamEndpoint();
    process.env = { ...saved, AWS_ENDPOINT_URL_IAM: url };
    sts
      .on(AssumeRoleCommand)
      .rejects(
        Object.assign(new Error('not trusted'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
      );
    const groups = agentRoleGroups({
      sts: new STSClient({ region: 'us-east-1' }),
      iamClient: (credentials) => createIamClient({ maxAttempts: 1 }, credentials),
      sessionName: 'jit-broker-worker',
    });
    const error = await groups('444455556666', 'jit-broker-agent')
      .add('jit-developers', 'alice')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toMatch(/sts:AssumeRole/);
    expect(calls).toEqual([]);
  });
});
