import {
  chainFor,
  sealEvent,
  GENESIS_HASH,
  type AuditEvent,
  type AuditEventInput,
} from '../../shared/domain/audit.js';
import { isLive } from '../../shared/domain/lifecycle.js';
import { slackPerson, type ResolvedPerson } from '../../shared/domain/person.js';
import { type AccessPolicy } from '../../shared/domain/policy.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type {
  Annotation,
  AuditLog,
  Clock,
  GrantJob,
  GrantQueue,
  DomainEvent,
  EventPublisher,
  IdGenerator,
  Page,
  PageOptions,
  PolicySource,
  RequestStore,
  Transition,
  TransitionResult,
} from '../../shared/domain/ports.js';
import { applyTransition, dueAt, type AccessRequest } from '../../shared/domain/request.js';
import type { RequestDeps, UseCaseLogger } from '../../shared/usecases/deps.js';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  private current: Date;
  constructor(start: Date | string = '2026-11-27T09:00:00.000Z') {
    this.current = new Date(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** Ids `req-0001`, `req-0002`, ... in creation order. */
export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix = 'req-') {}
  newId(): string {
    this.n++;
    return `${this.prefix}${String(this.n).padStart(4, '0')}`;
  }
}

/** An in-memory audit trail with the same chaining as the DynamoDB one. */
export class InMemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  private readonly heads = new Map<string, { seq: number; hash: string }>();
  async append(input: AuditEventInput): Promise<AuditEvent> {
    return this.appendNow(input);
  }
  appendNow(input: AuditEventInput): AuditEvent {
    const chain = chainFor(input.requestId, 8);
    const head = this.heads.get(chain) ?? { seq: 0, hash: GENESIS_HASH };
    const event = sealEvent(input, chain, head);
    this.heads.set(chain, { seq: event.seq, hash: event.hash });
    this.events.push(event);
    return event;
  }
  types(requestId?: string): string[] {
    return this.events.filter((e) => requestId === undefined || e.requestId === requestId).map((e) => e.type);
  }
}

/**
 * An in-memory RequestStore with the DynamoDB store's semantics: conditional on status and
 * version, lifecycle-checked, atomic with its audit event, idempotency keys honoured.
 */
export class InMemoryRequestStore implements RequestStore {
  readonly items = new Map<string, AccessRequest>();
  private readonly byIdempotencyKey = new Map<string, string>();
  constructor(readonly audit: InMemoryAuditLog = new InMemoryAuditLog()) {}

  async create(request: AccessRequest, audit: AuditEventInput) {
    if (request.idempotencyKey) {
      const existing = this.byIdempotencyKey.get(request.idempotencyKey);
      if (existing) return { created: false, request: this.items.get(existing) as AccessRequest };
    }
    if (this.items.has(request.id)) throw new Error(`duplicate id ${request.id}`);
    this.items.set(request.id, request);
    if (request.idempotencyKey) this.byIdempotencyKey.set(request.idempotencyKey, request.id);
    this.audit.appendNow(audit);
    return { created: true, request };
  }
  async get(id: string) {
    return this.items.get(id);
  }
  async transition(current: AccessRequest, t: Transition): Promise<TransitionResult> {
    return this.write(current, t);
  }
  async annotate(current: AccessRequest, a: Annotation): Promise<TransitionResult> {
    return this.write(current, a);
  }
  private write(current: AccessRequest, change: Transition | Annotation): TransitionResult {
    // The lifecycle rule is the domain's (applyTransition): refused before anything is compared or written.
    const next = applyTransition(current, change);
    const stored = this.items.get(current.id);
    if (!stored) throw new Error(`no request ${current.id}`);
    if (stored.status !== current.status || stored.version !== current.version) {
      return { ok: false, reason: 'conflict', current: stored };
    }
    this.items.set(next.id, next);
    this.audit.appendNow(change.audit);
    return { ok: true, request: next };
  }
  private page(items: AccessRequest[], options?: PageOptions): Page<AccessRequest> {
    const start = options?.cursor ? Number(options.cursor) : 0;
    const limit = options?.limit ?? 50;
    const slice = items.slice(start, start + limit);
    return start + limit < items.length ? { items: slice, cursor: String(start + limit) } : { items: slice };
  }
  private all(): AccessRequest[] {
    return [...this.items.values()];
  }
  async listByRequester(requester: string, options?: PageOptions) {
    const items = this.all()
      .filter((r) => r.requester === requester)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return this.page(items, options);
  }
  async listPendingByTarget(targetId: string, options?: PageOptions) {
    return this.page(
      this.pending().filter((r) => r.targetId === targetId),
      options,
    );
  }
  async listPending(options?: PageOptions) {
    return this.page(this.pending(), options);
  }
  private pending() {
    return this.all()
      .filter((r) => r.status === 'PENDING')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
  async listLiveEndingBefore(before: Date, options?: PageOptions) {
    const items = this.all()
      .filter((r) => isLive(r.status) && r.endsAt !== undefined && (dueAt(r) ?? '') <= before.toISOString())
      .sort((a, b) => (dueAt(a) ?? '').localeCompare(dueAt(b) ?? ''));
    return this.page(items, options);
  }
  async listLiveFor(principal: string, targetId: string) {
    return this.all().filter(
      (r) =>
        isLive(r.status) && r.endsAt !== undefined && r.principal === principal && r.targetId === targetId,
    );
  }
  async listUnreviewedBreakGlass(options?: PageOptions) {
    const items = this.all()
      .filter((r) => r.breakGlass && !r.reviewedAt)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return this.page(items, options);
  }
}

/** Records the domain events the use cases publish. */
export class RecordingPublisher implements EventPublisher {
  readonly sent: DomainEvent[] = [];
  async publish(event: DomainEvent): Promise<void> {
    this.sent.push(event);
  }
  kinds(): string[] {
    return this.sent.map((n) => n.kind);
  }
}

export class RecordingQueue implements GrantQueue {
  readonly jobs: GrantJob[] = [];
  async enqueue(job: GrantJob): Promise<void> {
    this.jobs.push(job);
  }
}

export const silentLogger: UseCaseLogger = { warn: () => undefined, info: () => undefined };

export function staticPolicy(policy: AccessPolicy): PolicySource {
  return { current: () => policy };
}

/** A small policy for use-case tests: one group, one 2-approval role, break-glass. */
export const TEST_POLICY_YAML = `
version: 1
people:
  devs: { users: [UDEV1, UDEV2] }
  leads: { users: [ULEAD1, ULEAD2, ULEAD3] }
  oncall: { users: [UONCALL1] }
  security: { users: [USEC1] }
breakGlass: { responders: [oncall], reviewers: [security], securityChannel: CSEC1, maxDuration: 1h }
renotifyAfter: 1h
approvalTimeout: 4h
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h }
  - { id: prod-role, kind: role, roleArn: "arn:aws:iam::111122223333:role/jit/Prod", description: Prod, requesters: [devs, oncall], approvers: [leads], approvalsRequired: 2, defaultDuration: 1h, maxDuration: 4h, requireTicket: true, breakGlass: true }
  - { id: sandbox, kind: group, groupName: jit-sandbox, description: Sandbox, requesters: [everyone], autoApprove: true, defaultDuration: 1h, maxDuration: 2h, requireReason: false }
`;

export interface FakeWorld {
  readonly deps: RequestDeps;
  readonly clock: ManualClock;
  readonly store: InMemoryRequestStore;
  readonly audit: InMemoryAuditLog;
  readonly events: RecordingPublisher;
  readonly queue: RecordingQueue;
  readonly policy: AccessPolicy;
}

/** Use-case dependencies wired with in-memory fakes. */
export function fakeWorld(policyYaml: string = TEST_POLICY_YAML): FakeWorld {
  const policy = parsePolicy(policyYaml, 'test-policy');
  const audit = new InMemoryAuditLog();
  const store = new InMemoryRequestStore(audit);
  const clock = new ManualClock();
  const events = new RecordingPublisher();
  const queue = new RecordingQueue();
  const deps: RequestDeps = {
    store,
    audit,
    policy: staticPolicy(policy),
    clock,
    ids: new SequentialIds(),
    events,
    queue,
    logger: silentLogger,
  };
  return { deps, clock, store, audit, events, queue, policy };
}

/** A resolved Slack person, in the given Slack user groups (none by default). */
export function person(userId: string, userGroups: string[] = []): ResolvedPerson {
  return { person: slackPerson(userId), groups: userGroups };
}
