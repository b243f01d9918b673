import { beforeAll, describe, expect, it } from 'vitest';
import {
  ANCHOR_DESTRUCTIVE_ACTIONS,
  ANCHOR_KEY_DESTRUCTIVE_ACTIONS,
} from '../../infra/constructs/audit-anchors.js';
import { BROKER_FUNCTIONS } from '../../infra/broker-stack.js';
import { synthBroker, type SynthResult } from './synth-broker.js';

let synth: SynthResult;
beforeAll(() => {
  synth = synthBroker({ context: { anchorRetentionDays: 365 } });
});

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const resources = (type: string) => Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type);
const statements = (doc: unknown) => (doc as { Statement: Statement[] }).Statement;

/** Whether an IAM action pattern (`s3:Delete*`, `s3:*`, `*`) covers `action`. */
function covers(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** Concrete actions that delete, unlock or re-policy anchors, or disable the key. */
const DESTRUCTIVE = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutLifecycleConfiguration',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'kms:PutKeyPolicy',
];

describe('audit anchors', () => {
  it('sign with an asymmetric ECC_NIST_P256 SIGN_VERIFY key, retained', () => {
    synth.template.hasResource('AWS::KMS::Key', {
      Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
      DeletionPolicy: 'Retain',
    });
  });

  it('let only the anchor function sign; anyone in the account reads the public key', () => {
    const [[, key]] = resources('AWS::KMS::Key').filter(
      ([, r]) => (r.Properties as { KeySpec?: string }).KeySpec === 'ECC_NIST_P256',
    ) as unknown as [[string, { Properties: { KeyPolicy: unknown } }]];
    const policy = statements(key.Properties.KeyPolicy);
    const signers = policy.filter(
      (s) => s.Effect === 'Allow' && list(s.Action).some((a) => covers(a, 'kms:Sign')),
    );
    expect(signers).toHaveLength(1);
    expect(JSON.stringify(signers[0]?.Principal)).toContain('AuditAnchorRole');
    const readers = policy.find((s) => list(s.Action).includes('kms:GetPublicKey'));
    expect(JSON.stringify(readers?.Principal)).toContain(':root');
  });

  it('keep anchors in a versioned, encrypted, private, SSL-only bucket with COMPLIANCE Object Lock (retention from context)', () => {
    synth.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('run every five minutes', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('no broker role may delete anchors, change their retention or the key: not allowed, and denied twice', () => {
    const brokerRoles = resources('AWS::IAM::Role')
      .filter(([, r]) => (r.Properties as { Path?: string }).Path === '/jit-broker/')
      .map(([id]) => id);
    expect(brokerRoles).toHaveLength(BROKER_FUNCTIONS.length);
    for (const [id, policy] of resources('AWS::IAM::Policy')) {
      const roles = JSON.stringify((policy.Properties as { Roles?: unknown }).Roles ?? []);
      if (!brokerRoles.some((r) => roles.includes(r))) continue;
      const allowedActions = statements((policy.Properties as { PolicyDocument: unknown }).PolicyDocument)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => list(s.Action));
      for (const action of DESTRUCTIVE) {
        expect(
          allowedActions.filter((a) => covers(a, action)),
          `${id} ${action}`,
        ).toEqual([]);
      }
    }

    // The broker boundary denies them whatever a role's policy says.
    const [[, boundary]] = resources('AWS::IAM::ManagedPolicy').filter(([id]) =>
      id.startsWith('BoundaryPolicy'),
    ) as unknown as [[string, { Properties: { PolicyDocument: unknown } }]];
    const denied = statements(boundary.Properties.PolicyDocument)
      .filter((s) => s.Effect === 'Deny')
      .flatMap((s) => list(s.Action));
    for (const action of DESTRUCTIVE)
      expect(
        denied.some((a) => covers(a, action)),
        action,
      ).toBe(true);

    // The bucket policy denies them to every role under the broker path.
    const [[, bucketPolicy]] = resources('AWS::S3::BucketPolicy') as unknown as [
      [string, { Properties: { PolicyDocument: unknown } }],
    ];
    const deny = statements(bucketPolicy.Properties.PolicyDocument).find(
      (s) => s.Sid === 'DenyBrokerRolesDestructiveActions',
    );
    expect(deny?.Effect).toBe('Deny');
    expect(deny?.Principal).toEqual({ AWS: '*' });
    expect(JSON.stringify(deny?.Condition)).toContain(':role/jit-broker/*');
    expect(list(deny?.Action ?? [])).toEqual(ANCHOR_DESTRUCTIVE_ACTIONS);
    expect(ANCHOR_KEY_DESTRUCTIVE_ACTIONS).toContain('kms:ScheduleKeyDeletion');
  });

  it('the anchor function writes and reads anchors/ and signs; nothing else on S3 or KMS', () => {
    const [[roleId]] = resources('AWS::IAM::Role').filter(([id]) =>
      id.startsWith('AuditAnchorRole'),
    ) as unknown as [[string]];
    const actions = resources('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify((p.Properties as { Roles?: unknown }).Roles ?? []).includes(roleId))
      .flatMap(([, p]) => statements((p.Properties as { PolicyDocument: unknown }).PolicyDocument))
      .flatMap((s) => list(s.Action))
      .filter((a) => a.startsWith('s3:') || a.startsWith('kms:'))
      .sort();
    expect(actions).toEqual([
      'kms:GetPublicKey',
      'kms:Sign',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });
});
