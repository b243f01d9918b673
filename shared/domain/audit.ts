import { createHash } from 'node:crypto';
import type { RequestStatus } from './lifecycle.js';

/**
 * Audit events: append-only, hash-chained. Each event carries the hash of its own content
 * and of the previous event's hash in its chain, so an edit, a deletion, an insertion or a
 * reordering breaks the chain at a place `verify` can name.
 *
 * The trail is split into a fixed number of chains (by request id) so that concurrent
 * writers do not all contend on one chain head; all events of one request share a chain,
 * which keeps each request's history in order.
 */
export const AUDIT_EVENT_TYPES = [
  'request.submitted',
  'request.refused',
  'request.approval-recorded',
  'request.approved',
  'request.auto-approved',
  'request.denied',
  'request.cancelled',
  'request.renotified',
  'request.escalated',
  'request.timed-out',
  'grant.activated',
  'grant.expiry-warned',
  'grant.grace-extended',
  'grant.failed',
  'grant.end-requested',
  'grant.released',
  'grant.revoked',
  'grant.expired',
  'grant.revoke-failed',
  'grant.membership-restored',
  /** What was done with a role grant (CloudTrail), summarised after it ended. */
  'grant.activity-summarised',
  'session.issued',
  'break-glass.activated',
  'break-glass.reviewed',
  'drift.detected',
  'drift.removed',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Scalar details only: never a credential, token or secret. */
export type AuditDetail = Readonly<Record<string, string | number | boolean>>;

export interface AuditEventInput {
  readonly type: AuditEventType;
  /** ISO-8601 time of the event. */
  readonly at: string;
  /** Who caused it: a Slack user id, or `system:<component>`. */
  readonly actor: string;
  /** Whose access it concerns: the requester's Slack user id. */
  readonly subject: string;
  /** The AWS identity the access was (or is) given to. */
  readonly principal?: string;
  readonly targetId: string;
  readonly requestId: string;
  readonly fromStatus?: RequestStatus;
  readonly toStatus?: RequestStatus;
  readonly reason?: string;
  readonly ticket?: string;
  readonly approvers?: readonly string[];
  readonly breakGlass: boolean;
  /** The AWS request id of the IAM/STS call, where there was one. */
  readonly awsRequestId?: string;
  readonly detail?: AuditDetail;
}

export interface AuditEvent extends AuditEventInput {
  /** Which chain the event belongs to (`chain-00` …). */
  readonly chain: string;
  /** Position in its chain, starting at 1. */
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** The hash every chain starts from. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with keys sorted at every level and undefined dropped: one text per content. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash of an event: SHA-256 over its canonical content, chain position and previous hash. */
export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

/** Seals an input as the next event of a chain whose head is (`seq`, `hash`). */
export function sealEvent(
  input: AuditEventInput,
  chain: string,
  prev: { seq: number; hash: string },
): AuditEvent {
  const unsealed = { ...stripUndefined(input), chain, seq: prev.seq + 1, prevHash: prev.hash };
  return { ...unsealed, hash: hashEvent(unsealed) };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The chain a request's events go to: a stable hash of its id, modulo the chain count. */
export function chainFor(requestId: string, chainCount: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) {
    h ^= requestId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return chainName(h % chainCount);
}

export function chainName(index: number): string {
  return `chain-${String(index).padStart(2, '0')}`;
}

/** The names of every chain a trail of `chainCount` chains is split into. */
export function chainNames(chainCount: number): string[] {
  return Array.from({ length: chainCount }, (_, i) => chainName(i));
}

function isKnownChain(chain: string, chainCount: number): boolean {
  return chainNames(chainCount).includes(chain);
}

/**
 * Whether an event sits on the chain its request belongs to; a finding naming the event when
 * not. Why: the chain list only covers `chain-00`…; an event written under any other chain
 * (or moved to another request's chain) with a valid hash of its own would otherwise pass
 * as genuine in every query by request, person or target.
 */
export function misplacementOf(
  event: { readonly chain: unknown; readonly seq: unknown; readonly requestId: unknown },
  chainCount: number,
): MisplacedEvent | undefined {
  const chain = String(event.chain);
  const seq = typeof event.seq === 'number' ? event.seq : Number.NaN;
  if (typeof event.requestId !== 'string') {
    return {
      chain,
      seq,
      message: `${chain} #${seq}: the event names no request (not written by the broker)`,
    };
  }
  const expectedChain = chainFor(event.requestId, chainCount);
  if (event.chain === expectedChain) return undefined;
  return {
    chain,
    seq,
    requestId: event.requestId,
    expectedChain,
    message: `${chain} #${seq}: an event of request ${event.requestId} must be on ${expectedChain} (${
      isKnownChain(chain, chainCount) ? 'moved between chains' : "not one of the trail's chains"
    })`,
  };
}

/** An event found outside its request's chain: never genuine, always reported. */
export interface MisplacedEvent {
  readonly chain: string;
  readonly seq: number;
  readonly requestId?: string;
  /** The chain the event's request id maps to. */
  readonly expectedChain?: string;
  readonly message: string;
}

export type ChainBreak =
  | { readonly kind: 'hash-mismatch'; readonly seq: number; readonly message: string }
  | { readonly kind: 'broken-link'; readonly seq: number; readonly message: string }
  | { readonly kind: 'gap'; readonly seq: number; readonly message: string }
  | { readonly kind: 'head-mismatch'; readonly seq: number; readonly message: string }
  /** The chain ends elsewhere than its manifest entry (kept outside the chain's items) says. */
  | { readonly kind: 'manifest-mismatch'; readonly seq: number; readonly message: string };

/**
 * Checks one chain event by event, in ascending `seq` order, holding only the previous
 * hash: memory stays flat however long the chain is. `push` returns the first break and
 * every later call returns that same break; `finish` compares the end with the chain head.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private broken: ChainBreak | undefined;

  constructor(readonly chain: string) {}

  /** How many events were checked and found sound. */
  get verified(): number {
    return this.expectedSeq - 1;
  }

  push(event: AuditEvent): ChainBreak | undefined {
    if (this.broken) return this.broken;
    this.broken = checkNext(this.chain, event, this.expectedSeq, this.prevHash);
    if (!this.broken) {
      this.prevHash = event.hash;
      this.expectedSeq++;
    }
    return this.broken;
  }

  /**
   * The head is what the store says the chain ends with; without this check, deleting the
   * newest events would leave a shorter, valid-looking chain. The manifest entry (where the
   * store has one) says the same from outside the chain's items: deleting the whole chain
   * with its head, or truncating it and rewriting the head to match, still disagrees with it.
   */
  finish(
    head?: { seq: number; hash: string },
    manifest?: { seq: number; hash: string },
  ): ChainBreak | undefined {
    if (this.broken) return this.broken;
    const lastSeq = this.expectedSeq - 1;
    if (head && (head.seq !== lastSeq || head.hash !== this.prevHash)) {
      this.broken = {
        kind: 'head-mismatch',
        seq: Math.min(head.seq, lastSeq) + 1,
        message:
          head.seq > lastSeq
            ? `${this.chain}: the chain head says #${head.seq} but the events end at #${lastSeq} (newest events deleted)`
            : `${this.chain}: the chain head says #${head.seq} but the events go on to #${lastSeq} (events appended outside the log, or the head was reset)`,
      };
    } else if (manifest && (manifest.seq !== lastSeq || manifest.hash !== this.prevHash)) {
      // Head and events agree, so both were rewritten together: only the manifest entry,
      // which lives outside the chain's items, still knows where the chain ended.
      this.broken = {
        kind: 'manifest-mismatch',
        seq: Math.min(manifest.seq, lastSeq) + 1,
        message:
          lastSeq === 0
            ? `${this.chain}: the manifest records #${manifest.seq} but the chain has no events and no head (the chain was deleted)`
            : manifest.seq > lastSeq
              ? `${this.chain}: the manifest records #${manifest.seq} but the chain ends at #${lastSeq} (newest events deleted and the head rewritten)`
              : manifest.seq < lastSeq
                ? `${this.chain}: the manifest records #${manifest.seq} but the chain goes on to #${lastSeq} (events appended outside the log)`
                : `${this.chain}: the manifest records a different hash for #${lastSeq} (the chain was rewritten)`,
      };
    }
    return this.broken;
  }
}

function checkNext(
  chain: string,
  event: AuditEvent,
  expectedSeq: number,
  prevHash: string,
): ChainBreak | undefined {
  if (event.chain !== chain) {
    return {
      kind: 'broken-link',
      seq: expectedSeq,
      message: `${chain} #${expectedSeq}: the event claims to belong to ${String(event.chain)} (moved between chains)`,
    };
  }
  if (event.seq !== expectedSeq) {
    return {
      kind: 'gap',
      seq: expectedSeq,
      message: `${chain}: expected event #${expectedSeq}, found #${event.seq} (an event was deleted or inserted)`,
    };
  }
  if (event.prevHash !== prevHash) {
    return {
      kind: 'broken-link',
      seq: event.seq,
      message: `${chain} #${event.seq}: does not follow the previous event (reordered, inserted or deleted)`,
    };
  }
  const { hash, ...rest } = event;
  if (hashEvent(rest) !== hash) {
    return { kind: 'hash-mismatch', seq: event.seq, message: `${chain} #${event.seq}: content was edited` };
  }
  return undefined;
}

/**
 * Verifies one chain's events, given in ascending `seq` order, against the chain head the
 * store keeps (so deleting the newest events is caught too). Returns the first break.
 */
export function verifyChain(
  events: Iterable<AuditEvent>,
  head?: { seq: number; hash: string },
  chain?: string,
): ChainBreak | undefined {
  let verifier: ChainVerifier | undefined = chain === undefined ? undefined : new ChainVerifier(chain);
  for (const event of events) {
    verifier ??= new ChainVerifier(event.chain);
    const broken = verifier.push(event);
    if (broken) return broken;
  }
  return (verifier ?? new ChainVerifier(chain ?? 'chain')).finish(head);
}
