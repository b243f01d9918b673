import type { IamRequest, TemplateResolver } from './iam-evaluation.js';
import { ENVIRONMENT } from './iam-evaluation.js';

/** One SDK call as the client sent it: the client, the operation and its input. */
export interface SdkCall {
  /** `IAMClient`, `STSClient`, `SQSClient`, `DynamoDBClient`… */
  readonly client: string;
  /** The operation without `Command`: `AddUserToGroup`, `TransactWriteItems`… */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** What the call answered, once it has (ids an IAM resource is named by: UserId, MembershipId). */
  output?: Readonly<Record<string, unknown>>;
  /** The Region the client sends to: the request's `aws:RequestedRegion`. */
  readonly region?: string;
}

interface MiddlewareClient {
  readonly config?: { readonly region?: string | (() => Promise<string>) };
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: Record<string, unknown>,
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

/**
 * Answers `client`'s calls in process with `outputs[operation]` (build step, after the
 * recorder; nothing is sent): for services without a stand-in (S3, KMS). An operation
 * without an answer throws. Returns the same client.
 */
export function answerInProcess<C extends object>(client: C, outputs: Readonly<Record<string, object>>): C {
  (client as unknown as AnswerClient).middlewareStack.add(
    (_next, context) => () => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const output = outputs[operation];
      if (!output) return Promise.reject(new Error(`no in-process answer for ${operation}`));
      return Promise.resolve({ output: { $metadata: {}, ...output }, response: {} });
    },
    { step: 'build', name: 'answerInProcess', override: true },
  );
  return client;
}

interface AnswerClient {
  readonly middlewareStack: {
    add(
      middleware: (next: unknown, context: Record<string, unknown>) => () => Promise<unknown>,
      options: { step: 'build'; name: string; override?: boolean },
    ): void;
  };
}

/** The Document client's commands under the operation IAM knows them by. */
const DOCUMENT_OPERATIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/**
 * Records every call of the clients it is attached to, through an SDK middleware at the
 * initialize step (the request is neither changed nor held). Only calls made while
 * {@link AwsCallRecorder.recording} is on are kept, so a test's own setup stays out.
 */
export class AwsCallRecorder {
  readonly calls: SdkCall[] = [];
  recording = false;
  private readonly attached = new WeakSet<object>();

  attach<C extends object>(client: C): C {
    if (this.attached.has(client)) return client;
    this.attached.add(client);
    const sdkClient = client as unknown as MiddlewareClient;
    const regionOf = async (): Promise<string | undefined> => {
      const region = sdkClient.config?.region;
      return typeof region === 'function' ? region() : region;
    };
    sdkClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.recording) return next(args);
        const command = String(context.commandName ?? '').replace(/Command$/, '');
        const region = await regionOf();
        const call: SdkCall = {
          client: String(context.clientName ?? ''),
          operation: DOCUMENT_OPERATIONS[command] ?? command,
          input: ((args as { input?: Record<string, unknown> }).input ?? {}) as Record<string, unknown>,
          ...(region === undefined ? {} : { region }),
        };
        this.calls.push(call);
        const result = await next(args);
        call.output = (result as { output?: Record<string, unknown> }).output ?? {};
        return result;
      },
      { step: 'initialize', name: 'permissionEvidenceRecorder', override: true },
    );
    return client;
  }

  /** Records the calls `run` makes. */
  async during<T>(run: () => Promise<T>): Promise<{ value: T; calls: SdkCall[] }> {
    const from = this.calls.length;
    this.recording = true;
    try {
      const value = await run();
      return { value, calls: this.calls.slice(from) };
    } finally {
      this.recording = false;
    }
  }
}

/** How the local names the tests use map to the template's resources (logical ids). */
export interface LocalNames {
  /** Local table name → logical id of the table in the template. */
  readonly tables: Readonly<Record<string, string>>;
  /** Local queue URL → logical id of the queue in the template. */
  readonly queues: Readonly<Record<string, string>>;
  /** Local bucket name → logical id of the bucket. */
  readonly buckets?: Readonly<Record<string, string>>;
  /** Local key id → logical id of the key. */
  readonly keys?: Readonly<Record<string, string>>;
  /**
   * The member account whose IAM calls these are (made with its agent role's credentials): group
   * names resolve there, under the managed path, not in the broker's template.
   */
  readonly memberAccount?: { readonly account: string; readonly path: string };
  /** Identity Store memberships by MembershipId (DeleteGroupMembership names only the id). */
  readonly memberships?: Readonly<Record<string, { groupId: string; userId: string }>>;
}

/** The Organization the tests' OUs and accounts belong to (its management account is the broker's). */
export const ORGANIZATION_ID = 'o-exampleorg1';

/** Memberships the recorded calls saw (created or looked up), for {@link LocalNames.memberships}. */
export function membershipsSeen(
  calls: readonly SdkCall[],
): Record<string, { groupId: string; userId: string }> {
  const seen: Record<string, { groupId: string; userId: string }> = {};
  for (const call of calls) {
    const membershipId = call.output?.MembershipId;
    const userId = (call.input.MemberId as { UserId?: string } | undefined)?.UserId;
    if (typeof membershipId === 'string' && userId !== undefined)
      seen[membershipId] = { groupId: String(call.input.GroupId), userId };
    for (const m of (call.output?.GroupMemberships ?? []) as {
      MembershipId?: string;
      GroupId?: string;
      MemberId?: { UserId?: string };
    }[]) {
      if (m.MembershipId && m.MemberId?.UserId)
        seen[m.MembershipId] = { groupId: String(m.GroupId), userId: m.MemberId.UserId };
    }
  }
  return seen;
}

const { partition, account } = ENVIRONMENT;

/**
 * The IAM requests one SDK call is authorized as: the action, the resource ARN in the
 * template's terms, and the condition keys the request carries. Transactions and batches
 * are authorized item by item (TransactWriteItems: each Put/Update/ConditionCheck/Delete,
 * with `dynamodb:EnclosingOperation`; a lone PutItem or UpdateItem carries none); item reads
 * and writes carry their partition key as `dynamodb:LeadingKeys`; AssumeRole with a
 * SourceIdentity or tags also needs `sts:SetSourceIdentity` / `sts:TagSession`. Every request
 * carries `aws:RequestedRegion` (the client's Region), as AWS sends it.
 */
export function iamRequestsOf(call: SdkCall, resolver: TemplateResolver, names: LocalNames): IamRequest[] {
  const requests = serviceRequestsOf(call, resolver, names);
  if (call.region === undefined) return requests;
  const region = { 'aws:RequestedRegion': call.region };
  return requests.map((r) => ({ ...r, context: { ...region, ...r.context } }));
}

function serviceRequestsOf(call: SdkCall, resolver: TemplateResolver, names: LocalNames): IamRequest[] {
  const input = call.input;
  const text = (key: string): string => String(input[key] ?? '');
  const table: TableArn = (name: string, index?: unknown): string => {
    const id = names.tables[name];
    if (!id) throw new Error(`table ${name} is not mapped to the template`);
    return `${resolver.arnOf(id)}${typeof index === 'string' ? `/index/${index}` : ''}`;
  };
  table.partitionKey = (name: string): string | undefined => {
    const id = names.tables[name];
    const schema = (id ? resolver.resource(id).Properties?.KeySchema : undefined) as
      { AttributeName: string; KeyType: string }[] | undefined;
    return schema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  };
  const queue = (url: string): string => {
    const id = names.queues[url];
    if (!id) throw new Error(`queue ${url} is not mapped to the template`);
    return resolver.arnOf(id);
  };
  const iamNamed = (type: 'group' | 'role', name: string): string => {
    // A member account's group (through its agent role): in that account, whatever the template holds.
    if (names.memberAccount) {
      const { account: member, path } = names.memberAccount;
      return `arn:${partition}:iam::${member}:${type}${path}${name}`;
    }
    const property = type === 'group' ? 'GroupName' : 'RoleName';
    const found = Object.entries(resolver.resources).find(
      ([, r]) =>
        r.Type === `AWS::IAM::${type === 'group' ? 'Group' : 'Role'}` && r.Properties?.[property] === name,
    );
    // A name the template does not hold is outside every path the stack manages: the root path.
    return found ? resolver.arnOf(found[0]) : `arn:${partition}:iam::${account}:${type}/${name}`;
  };

  switch (call.client) {
    case 'DynamoDBClient':
      return dynamoRequests(call, table);
    case 'IAMClient':
      if (['AddUserToGroup', 'RemoveUserFromGroup', 'GetGroup'].includes(call.operation)) {
        return [{ action: `iam:${call.operation}`, resource: iamNamed('group', text('GroupName')) }];
      }
      if (['PutRolePolicy', 'GetRolePolicy', 'DeleteRolePolicy'].includes(call.operation)) {
        return [{ action: `iam:${call.operation}`, resource: iamNamed('role', text('RoleName')) }];
      }
      break;
    case 'STSClient':
      if (call.operation === 'AssumeRole') return assumeRoleRequests(input);
      break;
    case 'SQSClient':
      return [{ action: `sqs:${call.operation}`, resource: queue(text('QueueUrl')) }];
    case 'S3Client': {
      const bucketId = names.buckets?.[text('Bucket')];
      if (!bucketId) throw new Error(`bucket ${text('Bucket')} is not mapped to the template`);
      const bucket = resolver.arnOf(bucketId);
      if (call.operation === 'ListObjectsV2') {
        return [{ action: 's3:ListBucket', resource: bucket, context: { 's3:prefix': text('Prefix') } }];
      }
      return [{ action: `s3:${call.operation}`, resource: `${bucket}/${text('Key')}` }];
    }
    case 'SSOAdminClient':
      return ssoAdminRequests(call);
    case 'IdentitystoreClient':
      return identityStoreRequests(call, names);
    case 'OrganizationsClient':
      return organizationsRequests(call);
    case 'EventBridgeClient':
      if (call.operation === 'PutEvents') {
        const buses = ((input.Entries ?? []) as { EventBusName?: string }[]).map(
          (e) => e.EventBusName ?? 'default',
        );
        return [...new Set(buses)].map((bus) => ({
          action: 'events:PutEvents',
          resource: bus.startsWith('arn:')
            ? bus
            : `arn:${partition}:events:${ENVIRONMENT.region}:${account}:event-bus/${bus}`,
        }));
      }
      break;
    case 'CloudTrailClient':
      // LookupEvents has no resource-level permissions: `*` is its only resource.
      if (call.operation === 'LookupEvents') return [{ action: 'cloudtrail:LookupEvents', resource: '*' }];
      break;
    case 'KMSClient': {
      const keyId = names.keys?.[text('KeyId')];
      if (!keyId) throw new Error(`key ${text('KeyId')} is not mapped to the template`);
      return [{ action: `kms:${call.operation}`, resource: resolver.arnOf(keyId) }];
    }
  }
  throw new Error(`no IAM mapping for ${call.client} ${call.operation}`);
}

function assumeRoleRequests(input: Readonly<Record<string, unknown>>): IamRequest[] {
  const tags = (input.Tags ?? []) as { Key: string; Value: string }[];
  const context: Record<string, string | string[]> = {};
  if (typeof input.SourceIdentity === 'string') context['sts:SourceIdentity'] = input.SourceIdentity;
  if (tags.length > 0) {
    context['aws:TagKeys'] = tags.map((t) => t.Key);
    for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
  }
  if (Array.isArray(input.TransitiveTagKeys) && input.TransitiveTagKeys.length > 0) {
    context['sts:TransitiveTagKeys'] = input.TransitiveTagKeys as string[];
  }
  const resource = String(input.RoleArn);
  return [
    { action: 'sts:AssumeRole', resource, context },
    ...(input.SourceIdentity === undefined ? [] : [{ action: 'sts:SetSourceIdentity', resource, context }]),
    ...(tags.length > 0 ? [{ action: 'sts:TagSession', resource, context }] : []),
  ];
}

/** A table's ARN (or its index's) in the template, and the name of its partition key. */
interface TableArn {
  (name: string, index?: unknown): string;
  partitionKey: (name: string) => string | undefined;
}

/** One item operation as IAM sees it: its partition key value as `dynamodb:LeadingKeys`. */
interface ItemOperation {
  readonly TableName: string;
  readonly Item?: Record<string, unknown>;
  readonly Key?: Record<string, unknown>;
}

function leadingKeys(op: ItemOperation, table: TableArn): Record<string, string[]> {
  const key = table.partitionKey(op.TableName);
  const value = key === undefined ? undefined : (op.Item ?? op.Key)?.[key];
  return value === undefined ? {} : { 'dynamodb:LeadingKeys': [String(value)] };
}

function dynamoRequests(call: SdkCall, table: TableArn): IamRequest[] {
  const input = call.input as Record<string, unknown>;
  const action = `dynamodb:${call.operation}`;
  switch (call.operation) {
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const items = (input.TransactItems ?? []) as Record<string, ItemOperation>[];
      const enclosing = { 'dynamodb:EnclosingOperation': call.operation };
      const verbs: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
        Get: 'GetItem',
      };
      return items.flatMap((item) =>
        Object.entries(item).map(([verb, op]) => ({
          action: `dynamodb:${verbs[verb] ?? verb}`,
          resource: table(op.TableName),
          context: { ...enclosing, ...leadingKeys(op, table) },
        })),
      );
    }
    case 'BatchGetItem':
      return Object.keys((input.RequestItems ?? {}) as object).map((name) => ({
        action: 'dynamodb:BatchGetItem',
        resource: table(name),
      }));
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems ?? {}) as object).map((name) => ({
        action,
        resource: table(name),
      }));
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      // A lone item call: no dynamodb:EnclosingOperation (only transactions carry one).
      return [
        {
          action,
          resource: table(String(input.TableName)),
          context: leadingKeys(input as unknown as ItemOperation, table),
        },
      ];
    default:
      return [{ action, resource: table(String(input.TableName), input.IndexName) }];
  }
}

/**
 * IAM Identity Center authorizes each call on every resource type the Service Authorization
 * Reference lists as required for it (an assignment: the instance, the permission set and the
 * account), so one call is one request per resource.
 */
function ssoAdminRequests(call: SdkCall): IamRequest[] {
  const input = call.input;
  const action = `sso:${call.operation}`;
  const instance = String(input.InstanceArn);
  const set = String(input.PermissionSetArn);
  const accountArn = `arn:${partition}:sso:::account/${String(input.TargetId)}`;
  const on = (...resources: string[]) => resources.map((resource) => ({ action, resource }));
  switch (call.operation) {
    case 'CreateAccountAssignment':
    case 'DeleteAccountAssignment':
      return on(instance, set, accountArn);
    case 'ProvisionPermissionSet':
      return input.TargetType === 'AWS_ACCOUNT' ? on(instance, set, accountArn) : on(instance, set);
    case 'DescribeAccountAssignmentCreationStatus':
    case 'DescribeAccountAssignmentDeletionStatus':
    case 'DescribePermissionSetProvisioningStatus':
    case 'ListPermissionSets':
      return on(instance);
    case 'DescribePermissionSet':
    case 'GetInlinePolicyForPermissionSet':
    case 'PutInlinePolicyToPermissionSet':
    case 'DeleteInlinePolicyFromPermissionSet':
      return on(instance, set);
  }
  throw new Error(`no IAM mapping for SSOAdminClient ${call.operation}`);
}

/** Identity Store calls, authorized on the store and the group, user and membership they touch. */
function identityStoreRequests(call: SdkCall, names: LocalNames): IamRequest[] {
  const input = call.input;
  const action = `identitystore:${call.operation}`;
  const ids = (resource: string) => `arn:${partition}:identitystore:::${resource}`;
  const store = `arn:${partition}:identitystore::${account}:identitystore/${String(input.IdentityStoreId)}`;
  const groupId = input.GroupId ?? call.output?.GroupId;
  const group = ids(`group/${String(groupId ?? '*')}`);
  const userId = (input.MemberId as { UserId?: string } | undefined)?.UserId ?? call.output?.UserId;
  const user = ids(`user/${String(userId ?? '*')}`);
  const membershipId = input.MembershipId ?? call.output?.MembershipId;
  const membership = ids(`membership/${String(membershipId ?? '*')}`);
  const on = (...resources: string[]) => resources.map((resource) => ({ action, resource }));
  switch (call.operation) {
    case 'GetUserId':
      return on(store, user);
    case 'GetGroupId':
      return on(store, group);
    case 'CreateGroupMembership':
      return on(store, group, user);
    case 'GetGroupMembershipId':
      return on(store, group, user, membership);
    case 'ListGroupMemberships':
      return on(store, group, ids('membership/*'));
    case 'DeleteGroupMembership': {
      const seen = names.memberships?.[String(membershipId)];
      if (!seen)
        throw new Error(`membership ${String(membershipId)} was not seen: its group and user are unknown`);
      return on(store, ids(`group/${seen.groupId}`), ids(`user/${seen.userId}`), membership);
    }
  }
  throw new Error(`no IAM mapping for IdentitystoreClient ${call.operation}`);
}

/** Organizations reads, on the OU or root (ListAccountsForParent, ListChildren) or the account read. */
function organizationsRequests(call: SdkCall): IamRequest[] {
  const org = (resource: string) =>
    `arn:${partition}:organizations::${account}:${resource}/${ORGANIZATION_ID}`;
  const action = `organizations:${call.operation}`;
  switch (call.operation) {
    case 'ListAccountsForParent':
    case 'ListChildren': {
      const parent = String(call.input.ParentId);
      return [{ action, resource: `${org(parent.startsWith('r-') ? 'root' : 'ou')}/${parent}` }];
    }
    case 'DescribeAccount':
      return [{ action, resource: `${org('account')}/${String(call.input.AccountId)}` }];
  }
  throw new Error(`no IAM mapping for OrganizationsClient ${call.operation}`);
}
