import * as z from 'zod';
import type { AuditEvent } from './audit.js';
import { ValidationError } from './errors.js';
import { REQUEST_STATUSES, type RequestStatus } from './lifecycle.js';
import type { Page } from './ports.js';
import { formatIssuePath } from './policy.js';

/**
 * Auditors' queries over the audit trail: the filters, their validation, and the ports
 * the readers implement. Every filter maps to an index (never a scan); see the adapter
 * for which index answers which combination.
 */

/** What an auditor can ask for. All given filters must hold (AND). */
export interface AuditFilter {
  /** Whose access: the requester's Slack user id. */
  readonly subject?: string;
  readonly targetId?: string;
  readonly requestId?: string;
  /** Events that moved a request to this state. */
  readonly status?: RequestStatus;
  readonly breakGlass?: boolean;
  /** Inclusive lower bound on the event time (normalised ISO-8601, UTC, milliseconds). */
  readonly from?: string;
  /** Exclusive upper bound on the event time (normalised like `from`). */
  readonly to?: string;
}

export interface AuditQuery {
  readonly filter: AuditFilter;
  readonly limit: number;
  readonly cursor?: string;
}

export const DEFAULT_AUDIT_PAGE_SIZE = 50;
export const MAX_AUDIT_PAGE_SIZE = 1000;

const id = z.string().trim().min(1, 'must not be empty').max(200, 'is too long');

/** A date (`2026-03-01`, midnight UTC) or a date-time with a zone, normalised to UTC milliseconds. */
const instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be an ISO-8601 date (2026-03-01) or date-time with a zone (2026-03-01T12:00:00Z)',
  })
  .transform((value, ctx) => {
    const date = new Date(value.length === 10 ? `${value}T00:00:00.000Z` : value);
    const year = date.getUTCFullYear();
    // Four-digit years only: the stored sort keys compare as text.
    if (Number.isNaN(date.getTime()) || year < 1000 || year > 9999) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid time' });
      return z.NEVER;
    }
    return date.toISOString();
  });

const flag = z.union(
  [z.boolean(), z.stringbool({ truthy: ['true', 'yes', '1'], falsy: ['false', 'no', '0'] })],
  {
    error: 'must be true or false',
  },
);

/**
 * The auditors' query as the CLI and the HTTP API receive it (strings allowed for numbers
 * and flags). Unknown keys are rejected: a misspelt filter must not silently widen a query.
 */
export const auditQueryInputSchema = z
  .strictObject({
    person: id.optional(),
    target: id.optional(),
    requestId: id.optional(),
    status: z.enum(REQUEST_STATUSES, { error: `must be one of ${REQUEST_STATUSES.join(', ')}` }).optional(),
    breakGlass: flag.optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_AUDIT_PAGE_SIZE, `must be at most ${MAX_AUDIT_PAGE_SIZE}`)
      .optional(),
    cursor: z.string().min(1).max(4096, 'is too long').optional(),
  })
  .check((ctx) => {
    const { from, to } = ctx.value;
    if (from !== undefined && to !== undefined && from >= to) {
      ctx.issues.push({ code: 'custom', path: ['to'], message: 'must be after from', input: to });
    }
    if (!hasKeyFilter(toFilter(ctx.value)) && from === undefined) {
      // Without a person, target, request, status or break-glass filter the trail is read
      // one day at a time: an open start would mean walking back forever.
      ctx.issues.push({
        code: 'custom',
        path: ['from'],
        message: 'is required when no person, target, request, status or break-glass filter is given',
        input: from,
      });
    }
  });

export type AuditQueryInput = z.input<typeof auditQueryInputSchema>;

function toFilter(input: z.output<typeof auditQueryInputSchema>): AuditFilter {
  return {
    ...(input.person === undefined ? {} : { subject: input.person }),
    ...(input.target === undefined ? {} : { targetId: input.target }),
    ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
    ...(input.status === undefined ? {} : { status: input.status }),
    ...(input.breakGlass === undefined ? {} : { breakGlass: input.breakGlass }),
    ...(input.from === undefined ? {} : { from: input.from }),
    ...(input.to === undefined ? {} : { to: input.to }),
  };
}

/** Whether a filter names an index partition other than the day (so it needs no time range). */
export function hasKeyFilter(filter: AuditFilter): boolean {
  return (
    filter.subject !== undefined ||
    filter.targetId !== undefined ||
    filter.requestId !== undefined ||
    filter.status !== undefined ||
    filter.breakGlass === true
  );
}

/**
 * Validates an auditor's query. Throws ValidationError naming each bad field
 * (`from: must be an ISO-8601 date ...`); the message is safe to show to the caller.
 */
export function parseAuditQuery(input: unknown): AuditQuery {
  const result = auditQueryInputSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown filter ${i.keys.map((k) => `"${k}"`).join(', ')}`
        : `${formatIssuePath(i.path)}: ${i.message}`,
    );
    throw new ValidationError(`Invalid audit query: ${problems.join('; ')}`);
  }
  const { limit, cursor } = result.data;
  return {
    filter: toFilter(result.data),
    limit: limit ?? DEFAULT_AUDIT_PAGE_SIZE,
    ...(cursor === undefined ? {} : { cursor }),
  };
}

/**
 * Validates the filters of an export (which streams everything that matches, so it takes
 * no page size and no cursor). Throws ValidationError like {@link parseAuditQuery}.
 */
export function parseAuditFilter(input: unknown): AuditFilter {
  const paging = ['limit', 'cursor'].filter((key) => Object.hasOwn((input ?? {}) as object, key));
  if (paging.length > 0) {
    throw new ValidationError(`Invalid audit query: an export takes no ${paging.join(' or ')}`);
  }
  return parseAuditQuery(input).filter;
}

const DAY_MS = 86_400_000;

/** Days from `newest` down to `oldest` (both YYYY-MM-DD), inclusive: the by-day index's partitions. */
export function daysBetween(newest: string, oldest: string): string[] {
  const days: string[] = [];
  for (
    let t = Date.parse(`${newest}T00:00:00.000Z`);
    t >= Date.parse(`${oldest}T00:00:00.000Z`);
    t -= DAY_MS
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** Whether an event matches a filter (the reference semantics the indexed readers implement). */
export function matchesAuditFilter(event: AuditEvent, filter: AuditFilter): boolean {
  return (
    (filter.subject === undefined || event.subject === filter.subject) &&
    (filter.targetId === undefined || event.targetId === filter.targetId) &&
    (filter.requestId === undefined || event.requestId === filter.requestId) &&
    (filter.status === undefined || event.toStatus === filter.status) &&
    (filter.breakGlass === undefined || event.breakGlass === filter.breakGlass) &&
    (filter.from === undefined || event.at >= filter.from) &&
    (filter.to === undefined || event.at < filter.to)
  );
}

/**
 * Reads the audit trail for auditors. Invariants: newest first (by event time, then chain
 * and seq); every filter is answered from an index, never a scan; a cursor continues exactly
 * where its page ended and is refused for a different filter.
 */
export interface AuditReader {
  /** One page. `now` bounds a time-range walk whose `to` is open. */
  query(filter: AuditFilter, page: { limit: number; cursor?: string }, now: Date): Promise<Page<AuditEvent>>;
  /** Every matching event, newest first, read page by page so memory stays flat. */
  stream(filter: AuditFilter, now: Date): AsyncIterable<AuditEvent>;
}

/** The head of a chain as the store keeps it: its last seq and hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Where a chain ends, as recorded twice: by its head (an item of the chain) and by its
 * manifest entry (kept outside the chain's items, so it outlives their deletion). No
 * manifest entry: the chain was never used, or was written before manifests were kept.
 */
export interface ChainEnds {
  readonly head: ChainHead;
  readonly manifest?: ChainHead;
}

/** Where an event is stored, as an index lists it (unverified: read straight from the store). */
export interface StoredEventRef {
  readonly chain: string;
  readonly seq: number;
  readonly requestId: unknown;
}

/** Reads whole chains for verification, oldest first. */
export interface AuditChainReader {
  /** The names of every chain the trail is split into. */
  readonly chains: readonly string[];
  /** A chain's head and manifest entry, as of one moment. */
  readChainEnds(chain: string): Promise<ChainEnds>;
  /** The chain's events in ascending seq order, streamed. */
  readChain(chain: string): AsyncIterable<AuditEvent>;
  /**
   * Every stored event of one day (`YYYY-MM-DD`), whatever its chain, from the by-day index
   * (which holds every event): how events outside the known chains are found without a scan.
   */
  readDay(day: string): AsyncIterable<StoredEventRef>;
}
