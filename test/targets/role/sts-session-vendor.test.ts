import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StsSessionVendor } from '../../../shared/targets/role/sts-session-vendor.js';
import { sessionPolicy, sessionTags } from '../../../shared/domain/session-policies.js';

const sts = mockClient(STSClient);
afterEach(() => sts.reset());

describe('StsSessionVendor', () => {
  it('sends AssumeRole with SourceIdentity, tags, duration and the session policy, and returns the credentials', async () => {
    const expiration = new Date('2026-11-27T09:15:00Z');
    sts.on(AssumeRoleCommand).resolves({
      $metadata: { requestId: 'sts-req-1' },
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: expiration,
      },
    });
    const vendor = new StsSessionVendor(new STSClient({ region: 'us-east-1' }));
    const result = await vendor.assumeRole({
      roleArn: 'arn:aws:iam::111122223333:role/jit/Prod',
      roleSessionName: 'alice@req-1',
      sourceIdentity: 'alice',
      durationSeconds: 900,
      tags: sessionTags({ grantId: 'req-1', principal: 'alice', requester: 'UDEV1' }),
      policy: sessionPolicy(new Date('2026-11-27T09:10:00Z')),
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/jit/Prod',
      RoleSessionName: 'alice@req-1',
      SourceIdentity: 'alice',
      DurationSeconds: 900,
      Tags: [
        { Key: 'jit-grant-id', Value: 'req-1' },
        { Key: 'jit-requester', Value: 'alice' },
        { Key: 'jit-slack-user', Value: 'UDEV1' },
      ],
      Policy:
        '{"Version":"2012-10-17","Statement":[{"Sid":"JitGrantWindow","Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-11-27T09:10:00Z"}}}]}',
    });
    expect(result).toEqual({
      awsRequestId: 'sts-req-1',
      credentials: { accessKeyId: 'ASIA1', secretAccessKey: 'secret', sessionToken: 'token', expiration },
    });
  });

  it('fails when STS answers without credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({ $metadata: {} });
    const vendor = new StsSessionVendor(new STSClient({ region: 'us-east-1' }));
    await expect(
      vendor.assumeRole({
        roleArn: 'arn:aws:iam::111122223333:role/jit/Prod',
        roleSessionName: 'a@b',
        sourceIdentity: 'alice',
        durationSeconds: 900,
        tags: [],
        policy: sessionPolicy(new Date()),
      }),
    ).rejects.toThrow(/no credentials/);
  });
});
