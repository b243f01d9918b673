import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type {
  AwsReceipt,
  SessionCredentials,
  SessionRequest,
  SessionVendor,
} from '../../domain/grant-ports.js';
import { AwsOperationError } from '../../domain/grant-ports.js';
import { toOperationError } from '../../adapters/aws/aws-errors.js';

/**
 * Role sessions with STS AssumeRole. The request is sent exactly as the domain built it
 * (SourceIdentity, session tags, duration, session policy). The credentials are returned
 * to the caller only: this adapter never logs or keeps them.
 */
export class StsSessionVendor implements SessionVendor {
  constructor(private readonly sts: STSClient) {}

  async assumeRole(request: SessionRequest): Promise<AwsReceipt & { credentials: SessionCredentials }> {
    let out;
    try {
      out = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: request.roleSessionName,
          SourceIdentity: request.sourceIdentity,
          DurationSeconds: request.durationSeconds,
          Tags: request.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
          Policy: JSON.stringify(request.policy),
        }),
      );
    } catch (error) {
      throw toOperationError('sts:AssumeRole', error);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new AwsOperationError('sts:AssumeRole', 'the reply held no credentials', { transient: true });
    }
    return {
      ...(out.$metadata.requestId === undefined ? {} : { awsRequestId: out.$metadata.requestId }),
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(c.Expiration),
      },
    };
  }
}
