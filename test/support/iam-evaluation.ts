import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { CfnResource } from '../infra/synth-broker.js';

/**
 * Offline IAM evaluation of the synthesized stack: the template's intrinsics resolved to
 * concrete values, each role's identity policies and permissions boundary gathered, the AWS
 * calls a function's real code makes recorded through an SDK middleware, and every call
 * evaluated with `@cloud-copilot/iam-simulate` as IAM would.
 */

/** The concrete environment intrinsics resolve to. */
export const ENVIRONMENT = { partition: 'aws', region: 'us-east-1', account: '111122223333' } as const;
const { partition, region, account } = ENVIRONMENT;

/** An IAM policy document (statements kept as the template has them, resolved). */
export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

type Resources = Readonly<Record<string, CfnResource>>;

/** Physical names: the name property when the template sets one, else the logical id. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SecretsManager::Secret': 'Name',
};

/**
 * Resolves CloudFormation intrinsics (Ref, Fn::GetAtt …Arn, Fn::Join, Fn::Sub, Fn::Select,
 * Fn::Split, pseudo parameters) to the values a deployment in {@link ENVIRONMENT} would see.
 */
export class TemplateResolver {
  constructor(readonly resources: Resources) {}

  resource(logicalId: string): CfnResource {
    const found = this.resources[logicalId];
    if (!found) throw new Error(`no resource ${logicalId} in the template`);
    return found;
  }

  /** The physical name a resource gets (its name property, or its logical id). */
  nameOf(logicalId: string): string {
    const r = this.resource(logicalId);
    const property = NAME_PROPERTY[r.Type];
    const given = property ? r.Properties?.[property] : undefined;
    return given === undefined ? logicalId : this.string(given);
  }

  pathOf(logicalId: string): string {
    const path = this.resource(logicalId).Properties?.Path;
    return path === undefined ? '/' : this.string(path);
  }

  arnOf(logicalId: string): string {
    const r = this.resource(logicalId);
    const name = this.nameOf(logicalId);
    switch (r.Type) {
      case 'AWS::IAM::Role':
        return `arn:${partition}:iam::${account}:role${this.pathOf(logicalId)}${name}`;
      case 'AWS::IAM::Group':
        return `arn:${partition}:iam::${account}:group${this.pathOf(logicalId)}${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${partition}:iam::${account}:policy${this.pathOf(logicalId)}${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${partition}:sqs:${region}:${account}:${name}`;
      case 'AWS::S3::Bucket':
        return `arn:${partition}:s3:::${name.toLowerCase()}`;
      case 'AWS::KMS::Key':
        return `arn:${partition}:kms:${region}:${account}:key/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${partition}:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::Lambda::Function':
        return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
      case 'AWS::SNS::Topic':
        return `arn:${partition}:sns:${region}:${account}:${name}`;
      case 'AWS::Events::Rule':
        return `arn:${partition}:events:${region}:${account}:rule/${name}`;
      case 'AWS::CloudWatch::Alarm':
        return `arn:${partition}:cloudwatch:${region}:${account}:alarm:${name}`;
      case 'AWS::Lambda::EventSourceMapping':
        return `arn:${partition}:lambda:${region}:${account}:event-source-mapping:${name}`;
      default:
        throw new Error(`no ARN rule for ${r.Type} (${logicalId})`);
    }
  }

  /** What `Ref` returns for a resource or pseudo parameter. */
  ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'JitAccessBroker',
    };
    if (pseudo[id] !== undefined) return pseudo[id];
    const r = this.resource(id);
    switch (r.Type) {
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::SNS::Topic':
        return this.arnOf(id);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${this.nameOf(id)}`;
      default:
        return this.nameOf(id);
    }
  }

  getAtt(id: string, attribute: string): string {
    if (attribute === 'Arn') return this.arnOf(id);
    if (attribute === 'QueueName' || attribute === 'TableName') return this.nameOf(id);
    if (attribute === 'QueueUrl') return this.ref(id);
    // A table's stream: the label is a creation time, fixed here.
    if (attribute === 'StreamArn') return `${this.arnOf(id)}/stream/2026-01-01T00:00:00.000`;
    throw new Error(`no rule for Fn::GetAtt ${id}.${attribute}`);
  }

  /** A value with every intrinsic replaced (objects and arrays walked). */
  value(input: unknown): unknown {
    if (Array.isArray(input)) return input.map((v) => this.value(v));
    if (input === null || typeof input !== 'object') return input;
    const object = input as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = object[key];
      if (key === 'Ref') return this.ref(arg as string);
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = typeof arg === 'string' ? arg.split('.') : (arg as string[]);
        return this.getAtt(id ?? '', attribute ?? '');
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return (this.value(parts) as unknown[]).map((p) => this.string(p)).join(separator);
      }
      if (key === 'Fn::Sub') return this.sub(arg);
      if (key === 'Fn::Select') {
        const [index, list] = arg as [unknown, unknown];
        return (this.value(list) as unknown[])[Number(this.value(index))];
      }
      if (key === 'Fn::Split') {
        const [separator, text] = arg as [string, unknown];
        return this.string(text).split(separator);
      }
      if (key.startsWith('Fn::')) throw new Error(`no rule for ${key}`);
    }
    return Object.fromEntries(keys.map((k) => [k, this.value(object[k])]));
  }

  string(input: unknown): string {
    const value = this.value(input);
    if (typeof value !== 'string') throw new Error(`not a string: ${JSON.stringify(input)}`);
    return value;
  }

  private sub(arg: unknown): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
      if (name in vars) return this.string(vars[name]);
      const [id, attribute] = name.split('.');
      return attribute ? this.getAtt(id ?? '', attribute) : this.ref(id ?? '');
    });
  }
}

/** The policies IAM evaluates for one role: its identity policies and its boundary. */
export interface RolePolicies {
  readonly logicalId: string;
  readonly arn: string;
  readonly identity: { name: string; policy: PolicyDocument }[];
  readonly boundary?: { name: string; policy: PolicyDocument };
  /** The trust policy: the resource policy of `sts:AssumeRole` on this role. */
  readonly trust?: PolicyDocument;
}

/**
 * AWS managed policies a role may attach, as far as these tests need them: an identity
 * policy we cannot read offline is modelled by what it allows at most.
 */
const AWS_MANAGED: Readonly<Record<string, PolicyDocument>> = {
  AdministratorAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
};

/** Every policy IAM would evaluate for the role `logicalId`, resolved. */
export function rolePolicies(resolver: TemplateResolver, logicalId: string): RolePolicies {
  const role = resolver.resource(logicalId);
  if (role.Type !== 'AWS::IAM::Role') throw new Error(`${logicalId} is a ${role.Type}, not a role`);
  const identity: RolePolicies['identity'] = [];
  for (const [id, r] of Object.entries(resolver.resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = (r.Properties?.Roles ?? []) as { Ref?: string }[];
    if (roles.some((ref) => ref.Ref === logicalId)) {
      identity.push({ name: id, policy: resolver.value(r.Properties?.PolicyDocument) as PolicyDocument });
    }
  }
  for (const [id, r] of Object.entries(resolver.resources)) {
    const roles = (r.Properties?.Roles ?? []) as { Ref?: string }[];
    if (r.Type === 'AWS::IAM::ManagedPolicy' && roles.some((ref) => ref.Ref === logicalId)) {
      identity.push({ name: id, policy: resolver.value(r.Properties?.PolicyDocument) as PolicyDocument });
    }
  }
  for (const arn of (role.Properties?.ManagedPolicyArns ?? []) as unknown[]) {
    const resolved = resolver.string(arn);
    const awsManaged = /^arn:aws:iam::aws:policy\/(.+)$/.exec(resolved)?.[1];
    const known = awsManaged ? AWS_MANAGED[awsManaged] : undefined;
    if (known) identity.push({ name: awsManaged ?? resolved, policy: known });
  }
  for (const inline of (role.Properties?.Policies ?? []) as {
    PolicyName: string;
    PolicyDocument: unknown;
  }[]) {
    identity.push({
      name: inline.PolicyName,
      policy: resolver.value(inline.PolicyDocument) as PolicyDocument,
    });
  }
  const boundaryRef = role.Properties?.PermissionsBoundary as { Ref?: string } | undefined;
  const boundary =
    boundaryRef?.Ref === undefined
      ? undefined
      : {
          name: boundaryRef.Ref,
          policy: resolver.value(
            resolver.resource(boundaryRef.Ref).Properties?.PolicyDocument,
          ) as PolicyDocument,
        };
  return {
    logicalId,
    arn: resolver.arnOf(logicalId),
    identity,
    ...(boundary ? { boundary } : {}),
    ...(role.Properties?.AssumeRolePolicyDocument
      ? { trust: resolver.value(role.Properties.AssumeRolePolicyDocument) as PolicyDocument }
      : {}),
  };
}

/** One request as IAM authorizes it. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** The actions STS authorizes along with an AssumeRole request that sets a source identity or tags. */
const ASSUME_ROLE_COMPANIONS = new Set(['sts:SetSourceIdentity', 'sts:TagSession']);

/**
 * IAM's decision for `request` made by `principal` (a role of the template): its identity
 * policies and boundary, with `targetTrust` as the resource policy: the trust policy of the
 * role `sts:AssumeRole` (and its companions) targets, a key policy, a bucket policy.
 */
export async function evaluate(
  principal: RolePolicies,
  request: IamRequest,
  targetTrust?: PolicyDocument,
): Promise<Decision> {
  const simulation = (action: string, resourcePolicy?: PolicyDocument): Simulation => ({
    request: {
      principal: principal.arn,
      action,
      resource: { resource: request.resource, accountId: accountOf(request.resource, principal.arn) },
      contextVariables: { ...request.context },
    },
    identityPolicies: principal.identity,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(principal.boundary ? { permissionBoundaryPolicies: [principal.boundary] } : {}),
    ...(resourcePolicy ? { resourcePolicy } : {}),
  });
  const run = async (action: string, resourcePolicy?: PolicyDocument): Promise<Decision> => {
    const result = await runSimulation(simulation(action, resourcePolicy), {});
    if (result.resultType === 'error') {
      throw new Error(`cannot evaluate ${action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    }
    return result.overallResult;
  };
  const companion = targetTrust !== undefined && ASSUME_ROLE_COMPANIONS.has(request.action);
  const own = await run(request.action, companion ? undefined : targetTrust);
  if (own !== 'Allowed' || !companion) return own;
  // Why: AWS evaluates each action of one AssumeRole request with that request's whole context
  // (a trust statement for AssumeRole + TagSession may test sts:SourceIdentity), while the
  // simulator keeps only the keys the Service Authorization Reference lists per action and would
  // drop sts:SourceIdentity from TagSession. So the trust statements naming the companion action
  // are evaluated as AssumeRole, whose context keeps every key of the request.
  return run('sts:AssumeRole', trustFor(targetTrust, request.action));
}

/**
 * The account that owns `resource`: the one its ARN names, else (S3 buckets, Identity Center
 * and Identity Store resources) the principal's own account. A resource in another account
 * (a member account's agent role) is a cross-account request: its resource policy must allow too.
 */
function accountOf(resource: string, principalArn: string): string {
  const named = resource.split(':')[4] ?? '';
  return /^\d{12}$/.test(named) ? named : (principalArn.split(':')[4] ?? account);
}

/** The trust statements that name `action`, rewritten to name `sts:AssumeRole` instead. */
function trustFor(trust: PolicyDocument, action: string): PolicyDocument {
  const names = (s: Statement) =>
    [s.Action ?? []].flat().some((a) => new RegExp(`^${a.replaceAll('*', '.*')}$`, 'i').test(action));
  return {
    ...trust,
    Statement: trust.Statement.filter(names).map((s) => ({ ...s, Action: 'sts:AssumeRole' })),
  };
}
