import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { IamSessionRevoker } from '../../../shared/targets/role/iam-session-revoker.js';
import { revokeSid, revokeStatement } from '../../../shared/domain/session-policies.js';

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

const ROLE_ARN = 'arn:aws:iam::111122223333:role/jit/Prod';
const T0 = new Date('2026-11-27T09:00:00Z');
const encoded = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
const revoker = () => new IamSessionRevoker(new IAMClient({ region: 'us-east-1' }), 300);

/** Makes the mock behave like IAM: GetRolePolicy returns what PutRolePolicy stored. */
function statefulPolicy(initial?: unknown) {
  let stored: string | undefined = initial === undefined ? undefined : JSON.stringify(initial);
  iam.on(GetRolePolicyCommand).callsFake(() => {
    if (stored === undefined) throw new NoSuchEntityException({ message: 'none', $metadata: {} });
    return {
      RoleName: 'Prod',
      PolicyName: 'jit-revoke-sessions',
      PolicyDocument: encodeURIComponent(stored),
    };
  });
  iam.on(PutRolePolicyCommand).callsFake((input: { PolicyDocument: string }) => {
    stored = input.PolicyDocument;
    return { $metadata: { requestId: 'aws-put-1' } };
  });
  iam.on(DeleteRolePolicyCommand).callsFake(() => {
    stored = undefined;
    return {};
  });
}

describe('IamSessionRevoker', () => {
  it('writes the inline deny on the role: Deny */* for that SourceIdentity, tokens issued before now', async () => {
    statefulPolicy();
    const receipt = await revoker().denySessionsIssuedBefore({
      roleArn: ROLE_ARN,
      principal: 'alice',
      before: T0,
      now: T0,
      maxSessionSeconds: 3600,
    });
    expect(receipt).toEqual({ awsRequestId: 'aws-put-1' });
    expect(iam.commandCalls(GetRolePolicyCommand)[0]?.args[0].input).toEqual({
      RoleName: 'Prod',
      PolicyName: 'jit-revoke-sessions',
    });
    const put = iam.commandCalls(PutRolePolicyCommand)[0]?.args[0].input;
    expect(put?.RoleName).toBe('Prod');
    expect(put?.PolicyName).toBe('jit-revoke-sessions');
    expect(JSON.parse(put?.PolicyDocument ?? '')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: revokeSid('alice'),
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: {
            DateLessThan: { 'aws:TokenIssueTime': '2026-11-27T09:00:00Z' },
            StringEquals: { 'aws:SourceIdentity': 'alice' },
          },
        },
      ],
    });
  });

  it('keeps other people’s statements (read-modify-write)', async () => {
    statefulPolicy({ Version: '2012-10-17', Statement: [revokeStatement('bob', T0)] });
    await revoker().denySessionsIssuedBefore({
      roleArn: ROLE_ARN,
      principal: 'alice',
      before: T0,
      now: T0,
      maxSessionSeconds: 3600,
    });
    const doc = JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0]?.args[0].input.PolicyDocument ?? '');
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([revokeSid('bob'), revokeSid('alice')]);
  });

  it('writes again when a concurrent writer replaced the policy without its statement', async () => {
    let reads = 0;
    iam.on(GetRolePolicyCommand).callsFake(() => {
      reads++;
      // The read-back after the first write shows another writer's document.
      const doc =
        reads === 2 ? { Version: '2012-10-17', Statement: [revokeStatement('bob', T0)] } : undefined;
      if (!doc && reads < 3) throw new NoSuchEntityException({ message: 'none', $metadata: {} });
      return {
        PolicyDocument: encoded(
          doc ?? {
            Version: '2012-10-17',
            Statement: [revokeStatement('bob', T0), revokeStatement('alice', T0)],
          },
        ),
        RoleName: 'Prod',
        PolicyName: 'p',
      };
    });
    iam.on(PutRolePolicyCommand).resolves({ $metadata: { requestId: 'aws-put' } });
    await revoker().denySessionsIssuedBefore({
      roleArn: ROLE_ARN,
      principal: 'alice',
      before: T0,
      now: T0,
      maxSessionSeconds: 3600,
    });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
  });

  it('prunes statements no session can outlive and deletes the policy when none is left', async () => {
    statefulPolicy({ Version: '2012-10-17', Statement: [revokeStatement('alice', T0)] });
    const keep = await revoker().prune({
      roleArn: ROLE_ARN,
      now: new Date('2026-11-27T10:04:00Z'),
      maxSessionSeconds: 3600,
    });
    expect(keep).toEqual({ removed: 0 });
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    const gone = await revoker().prune({
      roleArn: ROLE_ARN,
      now: new Date('2026-11-27T10:05:00Z'),
      maxSessionSeconds: 3600,
    });
    expect(gone).toEqual({ removed: 1 });
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]?.args[0].input).toEqual({
      RoleName: 'Prod',
      PolicyName: 'jit-revoke-sessions',
    });
  });

  it('prunes nothing when the role has no revoke policy', async () => {
    statefulPolicy();
    await expect(revoker().prune({ roleArn: ROLE_ARN, now: T0, maxSessionSeconds: 3600 })).resolves.toEqual({
      removed: 0,
    });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });
});
