import type { ActivitySummary } from './activity.js';
import type { AuditEvent, AuditEventInput } from './audit.js';
import type { RequestStatus } from './lifecycle.js';
import type { AccessRequest, RequestChanges } from './request.js';
import type { Person, PersonProvider } from './person.js';
import type { AccessPolicy } from './policy.js';
import type { PolicyVersion } from './provenance.js';

/**
 * Ports: the small interfaces use cases depend on. Adapters in `shared/adapters` implement
 * them against DynamoDB, IAM, STS, SQS and Slack; tests implement them in memory.
 */

/**
 * Who people are, as their identity provider knows them: the email and the groups of a
 * Person. The Slack adapter answers for `slack` persons (users.info, user group members); an
 * IdP adapter would answer for `oidc` persons. What to ask and what the answers mean (policy
 * sets, AWS identity) is decided by the domain and use cases, never by the directory.
 */
export interface PersonDirectory {
  /** The providers whose persons this directory knows. */
  readonly providers: readonly PersonProvider[];
  /** The person's email, or undefined when their provider has none for them. */
  emailOf(person: Person): Promise<string | undefined>;
  /** Which of `groups` the person belongs to (only those: a directory need not list every group). */
  groupsOf(person: Person, groups: readonly string[]): Promise<readonly string[]>;
}

/** The time. Injected everywhere so nothing in the domain or use cases reads the wall clock. */
export interface Clock {
  now(): Date;
}

/** Makes ids for new requests: unique, and sortable by creation time. */
export interface IdGenerator {
  newId(now: Date): string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass back to get the next page. Undefined on the last page. */
  readonly cursor?: string;
}

export interface PageOptions {
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * A transition: one conditional write from the request as the caller last read it
 * (its status and version) to `to`.
 */
export interface Transition {
  readonly to: RequestStatus;
  readonly at: Date;
  readonly changes?: RequestChanges;
  /** The audit event written in the same atomic write as the transition. */
  readonly audit: AuditEventInput;
}

/** A same-status change, written like a transition. */
export interface Annotation {
  readonly at: Date;
  readonly changes: RequestChanges;
  readonly audit: AuditEventInput;
}

export type TransitionResult =
  | { readonly ok: true; readonly request: AccessRequest }
  /** Someone else wrote first (status or version moved on). `current` is what is there now. */
  | { readonly ok: false; readonly reason: 'conflict'; readonly current: AccessRequest };

/**
 * Requests and grants. Invariants:
 * - every status change is one conditional write on the expected prior state and version,
 *   atomic with its audit event, so concurrent writers yield exactly one transition;
 * - an illegal transition (by the lifecycle) is refused before anything is written;
 * - queries use indexes, never scans.
 */
export interface RequestStore {
  /**
   * Creates a request with its first audit event. If a request with the same
   * idempotency key exists already, returns that one and writes nothing (`created: false`).
   */
  create(
    request: AccessRequest,
    audit: AuditEventInput,
  ): Promise<{ created: boolean; request: AccessRequest }>;
  get(id: string): Promise<AccessRequest | undefined>;
  /**
   * Moves `current` to `transition.to` if, and only if, the stored request still has
   * `current.status` and `current.version`. Throws IllegalTransitionError (writing nothing)
   * when the lifecycle forbids the move.
   */
  transition(current: AccessRequest, transition: Transition): Promise<TransitionResult>;
  /**
   * A conditional write that keeps the status (a break-glass review, a reminder sent):
   * applies `changes` if the stored request still has `current.version`, with its audit event.
   */
  annotate(current: AccessRequest, annotation: Annotation): Promise<TransitionResult>;
  /** A person's requests (by Slack user id), newest first. */
  listByRequester(requester: string, options?: PageOptions): Promise<Page<AccessRequest>>;
  /** Pending requests of one target, oldest first. */
  listPendingByTarget(targetId: string, options?: PageOptions): Promise<Page<AccessRequest>>;
  /** All pending requests, oldest first (for re-notification and time-outs). */
  listPending(options?: PageOptions): Promise<Page<AccessRequest>>;
  /**
   * Live grants (APPROVED or ACTIVE) due at or before `before` (see dueAt: the window's end,
   * or earlier once an early end was requested), the earliest due first.
   */
  listLiveEndingBefore(before: Date, options?: PageOptions): Promise<Page<AccessRequest>>;
  /** Live grants of one AWS principal on one target (for overlapping grants). */
  listLiveFor(principal: string, targetId: string): Promise<readonly AccessRequest[]>;
  /** Break-glass grants not yet reviewed, oldest first. */
  listUnreviewedBreakGlass(options?: PageOptions): Promise<Page<AccessRequest>>;
}

/** The audit trail: append-only. */
export interface AuditLog {
  /** Appends one event that is not part of a transition (a session issued, a failed revoke...). */
  append(event: AuditEventInput): Promise<AuditEvent>;
}

/** What the grant worker is asked to do. */
export type GrantJob =
  | { readonly kind: 'activate'; readonly requestId: string }
  | { readonly kind: 'revoke'; readonly requestId: string; readonly actor: string; readonly reason: string }
  | {
      readonly kind: 'issue-credentials';
      readonly requestId: string;
      readonly requester: string;
      /**
       * Where to deliver the credentials: opaque here, a string the front door that queued the
       * job understands (the Slack function's open "Get credentials" modal, see
       * shared/adapters/slack/credentials-delivery.ts); its delivery adapter parses it.
       */
      readonly replyTo: string;
    }
  /** Put back the group membership of a live grant (asked by the sweeper, which cannot add). */
  | { readonly kind: 'restore-membership'; readonly requestId: string };

/**
 * The asynchronous hand-off from the fast Slack function to the grant worker (an SQS queue
 * with retries and a dead-letter queue in AWS). The Slack function never calls IAM or STS.
 */
export interface GrantQueue {
  enqueue(job: GrantJob): Promise<void>;
}

/**
 * What happened to a request, published by the use cases once the transition that caused it
 * is committed. Subscribers (Slack today; e-mail, a console's live view, an archive later)
 * decide what to do with it; the domain knows none of them.
 */
export type DomainEvent =
  | { readonly kind: 'approval-needed'; readonly request: AccessRequest; readonly reminder: boolean }
  | { readonly kind: 'approval-recorded'; readonly request: AccessRequest; readonly approver: string }
  /** The current stage has not decided in time: its backup sets (`to`, set names) are told. */
  | { readonly kind: 'approval-escalated'; readonly request: AccessRequest; readonly to: readonly string[] }
  | { readonly kind: 'request-approved'; readonly request: AccessRequest }
  | { readonly kind: 'request-denied'; readonly request: AccessRequest }
  | { readonly kind: 'request-cancelled'; readonly request: AccessRequest }
  | { readonly kind: 'request-timed-out'; readonly request: AccessRequest }
  | { readonly kind: 'grant-active'; readonly request: AccessRequest }
  | { readonly kind: 'grant-failed'; readonly request: AccessRequest }
  | { readonly kind: 'grant-ended'; readonly request: AccessRequest }
  /** The grant ends within the policy's warnBefore; its holder is warned once. */
  | { readonly kind: 'grant-expiring'; readonly request: AccessRequest }
  | { readonly kind: 'break-glass'; readonly request: AccessRequest }
  | { readonly kind: 'break-glass-reviewed'; readonly request: AccessRequest }
  | { readonly kind: 'revoke-failing'; readonly request: AccessRequest; readonly error: string }
  /** What was done with a role grant, summarised from CloudTrail (stored as its audit event). */
  | {
      readonly kind: 'activity-summarised';
      readonly request: AccessRequest;
      readonly summary: ActivitySummary;
    };

/** The kinds of domain event. */
export type DomainEventKind = DomainEvent['kind'];

/**
 * Where use cases publish domain events. Invariants:
 * - publish is called only after the transition is committed; the audit event written in the
 *   same transaction is the durable record of what happened, the event is its announcement;
 * - publish never throws and never undoes anything: a failing or slow subscriber is logged
 *   and the others still hear of it.
 * Delivery is in-process and best effort today. The next step is a durable outbox (a
 * DynamoDB stream on the audit table feeding the subscribers), which changes the deployed
 * template and is therefore left for its own change.
 */
export interface EventPublisher {
  publish(event: DomainEvent): Promise<void>;
}

/**
 * One consumer of domain events (the Slack notifier...). Registered once, in the wiring; it
 * keeps whatever state it needs (Slack message references) in its own store, not on the request.
 */
export interface EventSubscriber {
  /** A stable name for logs. */
  readonly name: string;
  handle(event: DomainEvent): Promise<void>;
}

/** Gives the current access policy (validated and frozen at start-up). */
export interface PolicySource {
  current(): AccessPolicy;
}

/**
 * The deployed policy versions, content-addressed by the SHA-256 of the file's text.
 * Invariant: a version is written once (conditionally) and never changed or deleted, so a
 * decision event's `policySha256` always finds the text that decided it.
 */
export interface PolicyVersionStore {
  /** Keeps `version` (a no-op when it is already kept). */
  keep(version: PolicyVersion): Promise<void>;
  /** The text of a kept version, or undefined. */
  get(sha256: string): Promise<string | undefined>;
}

/** Short-lived AWS credentials for one role session. Never stored, never logged. */
export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /**
   * A console sign-in link made through the federation endpoint; absent when the federation
   * endpoint failed (the CLI credentials are still delivered, see `consoleLinkError`).
   */
  readonly consoleUrl?: string;
  /** Why there is no console link, in words for the requester. */
  readonly consoleLinkError?: string;
}

/**
 * Hands credentials to the requester privately (the Slack "Get credentials" modal opened by
 * the Slack function and filled in by the grant worker with views.update).
 */
export interface CredentialsDelivery {
  deliver(
    job: Extract<GrantJob, { kind: 'issue-credentials' }>,
    grant: AccessRequest,
    credentials: IssuedCredentials,
  ): Promise<void>;
  /** Tells the requester, in the same modal, why no credentials were issued. */
  deliverFailure(job: Extract<GrantJob, { kind: 'issue-credentials' }>, message: string): Promise<void>;
}
