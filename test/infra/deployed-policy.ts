import type { SynthResult } from './synth-broker.js';

/**
 * A policy document as IAM would store it once deployed: every intrinsic resolved to a
 * physical value of realistic length (a long stack name, the longest partition and a long
 * Region, CloudFormation's random suffixes), so size limits can be checked before deploy.
 */
export function deployedPolicyText(synth: SynthResult, document: unknown): string {
  const stackName = 'JitAccessBroker-Production-Primary';
  const partition = 'aws-us-gov';
  const region = 'ap-southeast-2';
  const account = '123456789012';
  const physical = (id: string) => `${stackName}-${id}-ABCDEFGHIJKLM`;
  const arnFor = (id: string, attribute = 'Arn'): string => {
    const type = synth.json.Resources[id]?.Type;
    if (type === 'AWS::S3::Bucket') return `arn:${partition}:s3:::${physical(id).toLowerCase().slice(0, 63)}`;
    if (type === 'AWS::KMS::Key')
      return `arn:${partition}:kms:${region}:${account}:key/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111`;
    if (type === 'AWS::Logs::LogGroup')
      return `arn:${partition}:logs:${region}:${account}:log-group:${physical(id)}:*`;
    if (type === 'AWS::IAM::Role') return `arn:${partition}:iam::${account}:role/jit-broker/${physical(id)}`;
    if (type === 'AWS::IAM::ManagedPolicy')
      return `arn:${partition}:iam::${account}:policy/jit-broker/${physical(id)}`;
    const prefix = {
      'AWS::DynamoDB::Table': `dynamodb:${region}:${account}:table/`,
      'AWS::Lambda::Function': `lambda:${region}:${account}:function:`,
      'AWS::SQS::Queue': `sqs:${region}:${account}:`,
      'AWS::Events::Rule': `events:${region}:${account}:rule/`,
      'AWS::CloudWatch::Alarm': `cloudwatch:${region}:${account}:alarm:`,
      'AWS::SNS::Topic': `sns:${region}:${account}:`,
      'AWS::SecretsManager::Secret': `secretsmanager:${region}:${account}:secret:`,
    }[type ?? ''];
    if (prefix === undefined) return 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'; // e.g. an event source mapping UUID
    const arn = `arn:${partition}:${prefix}${physical(id)}`;
    return attribute === 'StreamArn' ? `${arn}/stream/2026-11-30T00:00:00.000` : arn;
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const intrinsic = value as Record<string, unknown>;
    if (typeof intrinsic.Ref === 'string') {
      const pseudo: Record<string, string> = {
        'AWS::Partition': partition,
        'AWS::AccountId': account,
        'AWS::Region': region,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      return pseudo[intrinsic.Ref] ?? arnFor(intrinsic.Ref);
    }
    if (Array.isArray(intrinsic['Fn::GetAtt'])) {
      const [id, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
      return arnFor(id, attribute);
    }
    if (Array.isArray(intrinsic['Fn::Join'])) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    return Object.fromEntries(Object.entries(intrinsic).map(([k, v]) => [k, resolve(v)]));
  };
  // IAM counts a policy's characters without whitespace; JSON.stringify writes none.
  return JSON.stringify(resolve(document));
}

/** IAM's limit on a managed policy (a permissions boundary is one). */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** IAM's limit on all the inline policies of one role together. */
export const ROLE_INLINE_POLICIES_MAX_CHARS = 10_240;
