import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsOperationError } from '../../shared/domain/grant-ports.js';
import type {
  AwsReceipt,
  ConsoleLinkMaker,
  GrantMetricName,
  GrantMetrics,
  GroupMembership,
  RoleDenyList,
  SessionCredentials,
  SessionRequest,
  SessionVendor,
} from '../../shared/domain/grant-ports.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type {
  CredentialsDelivery,
  GrantJob,
  IssuedCredentials,
  RequestStore,
} from '../../shared/domain/ports.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import type { TargetDriver, TargetKind } from '../../shared/domain/target-kind.js';
import { createTargetDrivers } from '../../shared/targets/drivers.js';
import { TARGET_KINDS } from '../../shared/targets/kinds.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { restoreInProcess, restoreThroughQueue } from '../../shared/usecases/restore-membership.js';
import {
  InMemoryAuditLog,
  InMemoryRequestStore,
  ManualClock,
  RecordingPublisher,
  RecordingQueue,
  silentLogger,
  staticPolicy,
  TEST_POLICY_YAML,
} from './fakes.js';

/** A throttling error shaped like the SDK's, as the adapters would wrap it. */
export function throttled(operation = 'iam:RemoveUserFromGroup'): AwsOperationError {
  return new AwsOperationError(operation, 'Throttling: Rate exceeded', {
    transient: true,
    awsRequestId: 'req-throttled',
  });
}

/**
 * IAM groups in memory: idempotent add/remove like IAM, every call recorded, and failures
 * injectable per call (`failNext`) or while a predicate holds (`failWhile`).
 */
export class FakeGroupMembership implements GroupMembership {
  readonly groups = new Map<string, Set<string>>();
  readonly calls: { op: 'add' | 'remove' | 'list'; group: string; user?: string }[] = [];
  private readonly failures: { op: 'add' | 'remove'; error: Error }[] = [];
  failWhile?: (op: 'add' | 'remove', group: string, user: string) => Error | undefined;
  /** Extra latency per IAM call (the benchmark's simulated 50 ms). */
  latencyMs = 0;
  private n = 0;

  failNext(op: 'add' | 'remove', error: Error = throttled()): void {
    this.failures.push({ op, error });
  }
  members(group: string): string[] {
    return [...(this.groups.get(group) ?? [])].sort();
  }
  isMember(group: string, user: string): boolean {
    return this.groups.get(group)?.has(user) ?? false;
  }
  put(group: string, ...users: string[]): void {
    const set = this.groups.get(group) ?? new Set<string>();
    users.forEach((u) => set.add(u));
    this.groups.set(group, set);
  }
  private async call(op: 'add' | 'remove', group: string, user: string): Promise<void> {
    this.calls.push({ op, group, user });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const i = this.failures.findIndex((f) => f.op === op);
    if (i >= 0) {
      const [failure] = this.failures.splice(i, 1);
      throw failure?.error;
    }
    const error = this.failWhile?.(op, group, user);
    if (error) throw error;
  }
  async add(group: string, user: string): Promise<AwsReceipt> {
    await this.call('add', group, user);
    this.put(group, user);
    return { awsRequestId: `iam-${++this.n}` };
  }
  async remove(group: string, user: string): Promise<AwsReceipt & { wasMember: boolean }> {
    await this.call('remove', group, user);
    const wasMember = this.groups.get(group)?.delete(user) ?? false;
    return { awsRequestId: `iam-${++this.n}`, wasMember };
  }
  async listMembers(group: string): Promise<readonly string[]> {
    this.calls.push({ op: 'list', group });
    return this.members(group);
  }
}

/** Mints fake credentials and records every request. */
export class FakeSessionVendor implements SessionVendor {
  readonly requests: SessionRequest[] = [];
  nextError?: Error;
  onAssume?: () => Promise<void>;
  async assumeRole(request: SessionRequest) {
    this.requests.push(request);
    if (this.nextError) {
      const error = this.nextError;
      this.nextError = undefined;
      throw error;
    }
    await this.onAssume?.();
    const credentials: SessionCredentials = {
      accessKeyId: 'ASIAFAKE',
      secretAccessKey: 'fake-secret',
      sessionToken: 'fake-token',
      expiration: new Date('2026-11-27T10:00:00Z'),
    };
    return { awsRequestId: 'sts-1', credentials };
  }
}

/** The deny list as data: principal → "sessions issued before" per role. */
export class FakeDenyList implements RoleDenyList {
  readonly denies: { roleArn: string; principal: string; before: Date }[] = [];
  readonly prunes: string[] = [];
  nextError?: Error;
  async denySessionsIssuedBefore(input: { roleArn: string; principal: string; before: Date }) {
    if (this.nextError) {
      const error = this.nextError;
      this.nextError = undefined;
      throw error;
    }
    this.denies.push({ roleArn: input.roleArn, principal: input.principal, before: input.before });
    return { awsRequestId: `deny-${this.denies.length}` };
  }
  async prune(input: { roleArn: string }) {
    this.prunes.push(input.roleArn);
    return { removed: 0 };
  }
}

export class FakeConsoleLinks implements ConsoleLinkMaker {
  /** The partition each link was asked for (undefined: the commercial default). */
  readonly partitions: (string | undefined)[] = [];
  async signInUrl(credentials: SessionCredentials, options: { partition?: string } = {}): Promise<string> {
    this.partitions.push(options.partition);
    return `https://signin.example/login?token=for-${credentials.accessKeyId}`;
  }
}

type IssueJob = Extract<GrantJob, { kind: 'issue-credentials' }>;

export class RecordingDelivery implements CredentialsDelivery {
  readonly delivered: { job: IssueJob; grant: AccessRequest; credentials: IssuedCredentials }[] = [];
  readonly failures: { job: IssueJob; message: string }[] = [];
  async deliver(job: IssueJob, grant: AccessRequest, credentials: IssuedCredentials) {
    this.delivered.push({ job, grant, credentials });
  }
  async deliverFailure(job: IssueJob, message: string) {
    this.failures.push({ job, message });
  }
}

export class RecordingMetrics implements GrantMetrics {
  readonly counts = new Map<GrantMetricName, number>();
  count(name: GrantMetricName, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
  get(name: GrantMetricName): number {
    return this.counts.get(name) ?? 0;
  }
}

export interface GrantWorld {
  readonly deps: GrantDeps;
  readonly clock: ManualClock;
  readonly store: RequestStore;
  readonly audit: InMemoryAuditLog | GrantDeps['audit'];
  readonly groups: FakeGroupMembership;
  readonly sessions: FakeSessionVendor;
  readonly denyList: FakeDenyList;
  readonly delivery: RecordingDelivery;
  readonly events: RecordingPublisher;
  readonly metrics: RecordingMetrics;
  /** How `deps.repairs` restores a membership: in this process (the worker) or as a job (the sweeper). */
  readonly repairMode: 'in-process' | 'queue';
  /** The `restore-membership` jobs handed over in `queue` mode. */
  readonly repairQueue: RecordingQueue;
}

/** Grant-side dependencies on fakes; pass a DynamoDB store and audit log to use DynamoDB Local. */
export function grantWorld(
  options: {
    store?: RequestStore;
    audit?: GrantDeps['audit'];
    policyYaml?: string;
    clock?: ManualClock;
    /** `in-process` (default) as the grant worker is wired; `queue` as the sweeper is. */
    repairs?: 'in-process' | 'queue';
    /** Target kinds beyond the registered ones (a test's own kind): their pure and runtime halves. */
    extraKinds?: readonly TargetKind[];
    extraDrivers?: readonly TargetDriver[];
  } = {},
): GrantWorld {
  const audit = options.audit ?? new InMemoryAuditLog();
  const store = options.store ?? new InMemoryRequestStore(audit as InMemoryAuditLog);
  const clock = options.clock ?? new ManualClock();
  const groups = new FakeGroupMembership();
  const sessions = new FakeSessionVendor();
  const denyList = new FakeDenyList();
  const delivery = new RecordingDelivery();
  const events = new RecordingPublisher();
  const metrics = new RecordingMetrics();
  const repairMode = options.repairs ?? 'in-process';
  const repairQueue = new RecordingQueue();
  const ports: Omit<GrantDeps, 'repairs'> = {
    store,
    audit,
    policy: staticPolicy(
      parsePolicy(options.policyYaml ?? TEST_POLICY_YAML, 'test-policy', [
        ...TARGET_KINDS,
        ...(options.extraKinds ?? []),
      ]),
    ),
    clock,
    events,
    logger: silentLogger,
    targets: createTargetDrivers({ groups, sessions, denyList }, options.extraDrivers),
    consoleLinks: new FakeConsoleLinks(),
    delivery,
    metrics,
  };
  const deps: GrantDeps = { ...ports, repairs: repairsFor(repairMode, ports, repairQueue) };
  return {
    deps,
    clock,
    store,
    audit,
    groups,
    sessions,
    denyList,
    delivery,
    events,
    metrics,
    repairMode,
    repairQueue,
  };
}

function repairsFor(mode: 'in-process' | 'queue', ports: Omit<GrantDeps, 'repairs'>, queue: RecordingQueue) {
  return mode === 'queue' ? restoreThroughQueue(queue) : restoreInProcess(ports);
}

/** A live grant record as approval would write it (APPROVED unless told otherwise). */
export function grantRecord(
  fields: Partial<AccessRequest> & { id: string; startsAt: string; endsAt: string },
): AccessRequest {
  const targetId = fields.targetId ?? 'dev-group';
  return {
    requester: 'UDEV1',
    principal: 'alice',
    targetId,
    targetKind: targetId === 'prod-role' ? 'role' : 'group',
    durationSeconds: Math.round((Date.parse(fields.endsAt) - Date.parse(fields.startsAt)) / 1000),
    reason: 'deploy',
    status: 'APPROVED',
    version: 3,
    createdAt: fields.startsAt,
    updatedAt: fields.startsAt,
    approvalsRequired: 1,
    approvals: [{ approver: 'ULEAD1', at: fields.startsAt }],
    decidedBy: 'ULEAD1',
    decidedAt: fields.startsAt,
    breakGlass: false,
    ...fields,
  };
}

/** Stores grants through the store, as the grant worker leaves them (each with its activation event). */
export async function storeGrants(
  world: Pick<GrantWorld, 'store'>,
  grants: readonly AccessRequest[],
): Promise<void> {
  for (const grant of grants) {
    await world.store.create(grant, {
      type: 'grant.activated',
      at: grant.startsAt ?? grant.createdAt,
      actor: 'system:grant-worker',
      subject: grant.requester,
      targetId: grant.targetId,
      requestId: grant.id,
      breakGlass: grant.breakGlass,
    });
  }
}

/** The real IAM/STS adapters on fresh clients (mock them with aws-sdk-client-mock). */
export async function withRealAwsAdapters(world: GrantWorld): Promise<GrantWorld & { deps: GrantDeps }> {
  const { IAMClient } = await import('@aws-sdk/client-iam');
  const { STSClient } = await import('@aws-sdk/client-sts');
  const { IamGroupMembership } = await import('../../shared/targets/group/iam-group-membership.js');
  const { StsSessionVendor } = await import('../../shared/targets/role/sts-session-vendor.js');
  const { IamSessionRevoker } = await import('../../shared/targets/role/iam-session-revoker.js');
  const iam = new IAMClient({ region: 'us-east-1' });
  const { repairs: _fakeRepairs, ...fakePorts } = world.deps;
  const ports: Omit<GrantDeps, 'repairs'> = {
    ...fakePorts,
    targets: createTargetDrivers({
      groups: new IamGroupMembership(iam),
      sessions: new StsSessionVendor(new STSClient({ region: 'us-east-1' })),
      denyList: new IamSessionRevoker(iam, 300),
    }),
  };
  const deps: GrantDeps = { ...ports, repairs: repairsFor(world.repairMode, ports, world.repairQueue) };
  return { ...world, deps };
}

/**
 * Writes grant records straight into a requests table (no audit events), 25 per batch:
 * for seeding many grants fast in tests and benchmarks.
 */
export async function seedGrants(
  doc: DynamoDBDocumentClient,
  tableName: string,
  grants: readonly AccessRequest[],
  parallel = 8,
): Promise<void> {
  const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
  const { requestToItem } = await import('../../shared/adapters/dynamodb/request-store.js');
  const chunks: AccessRequest[][] = [];
  for (let i = 0; i < grants.length; i += 25) chunks.push(grants.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++] as AccessRequest[];
      let items: Record<string, unknown>[] = chunk.map((g) => ({ PutRequest: { Item: requestToItem(g) } }));
      while (items.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: items as never } }));
        items = (out.UnprocessedItems?.[tableName] ?? []) as Record<string, unknown>[];
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
