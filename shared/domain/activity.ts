import type { AuditDetail } from './audit.js';

/**
 * What was done with a role grant: the CloudTrail records of its session, summarised into a
 * bounded summary (counts only, never the calls' parameters) that fits one audit event.
 */

/** One CloudTrail record as the lookup adapter reads it (only what the summary needs). */
export interface ActivityRecord {
  /** `s3.amazonaws.com`, `signin.amazonaws.com`... */
  readonly eventSource: string;
  readonly eventName: string;
  readonly eventTime: string;
  /** CloudTrail's own read/write flag; absent on some records (then the name decides). */
  readonly readOnly?: boolean;
  readonly errorCode?: string;
  /** The session's SourceIdentity, when the record names one. */
  readonly sourceIdentity?: string;
  /** The role whose session made the call (`sessionContext.sessionIssuer.userName`), when named. */
  readonly roleName?: string;
  /** The account the record was looked up in (set by the lookup's caller, for per-account counts). */
  readonly account?: string;
}

/** The role session of a grant, as CloudTrail names it. */
export interface GrantSession {
  /** The account the session's role lives in (where its CloudTrail records are). */
  readonly account: string;
  /** The RoleSessionName: CloudTrail's `Username` of every call of the session. */
  readonly sessionName: string;
  /** The session's SourceIdentity (the holder's AWS identity); absent when the sessions carry none. */
  readonly sourceIdentity?: string;
  /**
   * Only records of a role whose name starts with this count (an Identity Center session is
   * the role `AWSReservedSSO_<PermissionSetName>_<hash>`, its session name the user's
   * UserName, shared by every permission set of that user in the account).
   */
  readonly roleNamePrefix?: string;
}

/**
 * The IAM role prefix of a permission set's sessions in a member account:
 * `AWSReservedSSO_<PermissionSetName>_` (the role is `AWSReservedSSO_<name>_<hash>`).
 */
export function permissionSetRolePrefix(permissionSetName: string): string {
  return `AWSReservedSSO_${permissionSetName}_`;
}

/**
 * Whether a record looked up by a session's name is that session's: same SourceIdentity
 * when both name one, and a role named with the session's prefix when it has one (why: the
 * user name is shared by all of a person's permission sets, and a record that names no
 * role cannot be told apart, so it is left out).
 */
export function isSessionRecord(record: ActivityRecord, session: GrantSession): boolean {
  if (
    session.sourceIdentity !== undefined &&
    record.sourceIdentity !== undefined &&
    record.sourceIdentity !== session.sourceIdentity
  )
    return false;
  if (session.roleNamePrefix === undefined) return true;
  return record.roleName?.startsWith(session.roleNamePrefix) === true;
}

/** The port: one page of CloudTrail `LookupEvents` for one session name. */
export interface ActivityLookup {
  lookup(query: {
    readonly account: string;
    readonly region: string;
    readonly username: string;
    readonly from: Date;
    readonly to: Date;
    readonly nextToken?: string;
  }): Promise<{ readonly records: readonly ActivityRecord[]; readonly nextToken?: string }>;
}

/** At most this many services are named in a summary; the rest are counted as `other`. */
export const MAX_SUMMARY_SERVICES = 10;

/** At most this many accounts are named in a summary's per-account counts; the rest are `other`. */
export const MAX_SUMMARY_ACCOUNTS = 10;

/** The summary of a grant's activity, as stored in its `grant.activity-summarised` event. */
export interface ActivitySummary {
  readonly calls: number;
  readonly reads: number;
  readonly writes: number;
  /** Calls refused with an `AccessDenied*` error code. */
  readonly denied: number;
  readonly consoleSignIns: number;
  /** Calls per service (`s3`, `iam`...), the busiest first, at most MAX_SUMMARY_SERVICES. */
  readonly byService: readonly (readonly [string, number])[];
  /** Calls per account (a grant over accounts), the busiest first, at most MAX_SUMMARY_ACCOUNTS. */
  readonly byAccount?: readonly (readonly [string, number])[];
  /** The lookup stopped at its page cap: the counts are a lower bound. */
  readonly truncated: boolean;
  /** The window looked at (ISO-8601). */
  readonly from: string;
  readonly to: string;
}

/** `s3.amazonaws.com` → `s3`. */
export function serviceOf(eventSource: string): string {
  return eventSource.replace(/\.amazonaws\.com$/, '');
}

/** Read-only when CloudTrail says so; otherwise by the verb of the call's name. */
function isRead(record: ActivityRecord): boolean {
  if (record.readOnly !== undefined) return record.readOnly;
  return /^(Get|List|Describe|Head|Lookup|Search|Scan|Query|BatchGet|Select)/.test(record.eventName);
}

/**
 * Summarises the records of one grant's session. Records naming another SourceIdentity
 * than `sourceIdentity` are left out (why: the session name is derived from the principal
 * and grant id, and only the SourceIdentity proves the person).
 */
export function summariseActivity(
  records: readonly ActivityRecord[],
  window: {
    readonly from: string;
    readonly to: string;
    readonly sourceIdentity?: string;
    /** The accounts looked up: counts per account are kept (records tagged with `account`). */
    readonly accounts?: readonly string[];
  },
  truncated = false,
): ActivitySummary {
  let calls = 0;
  let reads = 0;
  let writes = 0;
  let denied = 0;
  let consoleSignIns = 0;
  const services = new Map<string, number>();
  const accounts = new Map<string, number>((window.accounts ?? []).map((a) => [a, 0]));
  for (const record of records) {
    if (
      window.sourceIdentity !== undefined &&
      record.sourceIdentity !== undefined &&
      record.sourceIdentity !== window.sourceIdentity
    )
      continue;
    if (record.eventTime < window.from || record.eventTime >= window.to) continue;
    calls++;
    if (record.eventName === 'ConsoleLogin') consoleSignIns++;
    if (isRead(record)) reads++;
    else writes++;
    if (record.errorCode?.startsWith('AccessDenied')) denied++;
    const service = serviceOf(record.eventSource);
    services.set(service, (services.get(service) ?? 0) + 1);
    if (window.accounts !== undefined && record.account !== undefined)
      accounts.set(record.account, (accounts.get(record.account) ?? 0) + 1);
  }
  return {
    calls,
    reads,
    writes,
    denied,
    consoleSignIns,
    byService: busiestFirst(services, MAX_SUMMARY_SERVICES),
    ...(window.accounts === undefined ? {} : { byAccount: busiestFirst(accounts, MAX_SUMMARY_ACCOUNTS) }),
    truncated,
    from: window.from,
    to: window.to,
  };
}

/** Counts, the busiest first (then by name), at most `max` named and the rest as `other`. */
function busiestFirst(counts: ReadonlyMap<string, number>, max: number): (readonly [string, number])[] {
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const named = sorted.slice(0, max);
  const rest = sorted.slice(max).reduce((n, [, c]) => n + c, 0);
  return rest > 0 ? [...named, ['other', rest] as const] : named;
}

/** `s3:12,iam:3`: the services (or accounts) as one bounded scalar. */
function servicesText(byService: ActivitySummary['byService']): string {
  return byService.map(([s, n]) => `${s}:${n}`).join(',');
}

/** Reads `s3:12,iam:3` back. */
function countsOf(text: string): (readonly [string, number])[] {
  return text
    .split(',')
    .filter((s) => s !== '')
    .map((s) => {
      const at = s.lastIndexOf(':');
      return [s.slice(0, at), Number(s.slice(at + 1))] as const;
    });
}

/** The summary as an audit event's scalar details (bounded: at most 11 services named). */
export function activityDetail(summary: ActivitySummary): AuditDetail {
  return {
    calls: summary.calls,
    reads: summary.reads,
    writes: summary.writes,
    denied: summary.denied,
    consoleSignIns: summary.consoleSignIns,
    services: servicesText(summary.byService),
    ...(summary.byAccount === undefined ? {} : { accounts: servicesText(summary.byAccount) }),
    truncated: summary.truncated,
    windowFrom: summary.from,
    windowTo: summary.to,
  };
}

/** Reads a summary back from an event's details (undefined when they are not one). */
export function activityFromDetail(detail: AuditDetail | undefined): ActivitySummary | undefined {
  if (detail === undefined || typeof detail.calls !== 'number') return undefined;
  const num = (key: string) => (typeof detail[key] === 'number' ? detail[key] : 0);
  const services = typeof detail.services === 'string' && detail.services !== '' ? detail.services : '';
  return {
    calls: detail.calls,
    reads: num('reads'),
    writes: num('writes'),
    denied: num('denied'),
    consoleSignIns: num('consoleSignIns'),
    byService: countsOf(services),
    ...(typeof detail.accounts === 'string' ? { byAccount: countsOf(detail.accounts) } : {}),
    truncated: detail.truncated === true,
    from: String(detail.windowFrom ?? ''),
    to: String(detail.windowTo ?? ''),
  };
}

/** One line for people: `42 calls (30 reads, 12 writes), 2 denied, 1 console sign-in; s3 20, iam 12`. */
export function activityText(summary: ActivitySummary): string {
  if (summary.calls === 0) return 'No AWS calls recorded in CloudTrail during the grant.';
  const services = summary.byService.map(([s, n]) => `${s} ${n}`).join(', ');
  const accounts =
    summary.byAccount === undefined || summary.byAccount.length < 2
      ? ''
      : ` By account: ${summary.byAccount.map(([a, n]) => `${a} ${n}`).join(', ')}.`;
  return `${summary.truncated ? 'At least ' : ''}${summary.calls} calls (${summary.reads} reads, ${summary.writes} writes), ${summary.denied} denied, ${summary.consoleSignIns} console sign-in${summary.consoleSignIns === 1 ? '' : 's'}; ${services}.${accounts}`;
}

/**
 * A token bucket per key (account and Region): `capacity` calls at once, refilled at
 * `perSecond`. Pure: the caller passes the time, so tests drive it with a clock.
 */
export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    readonly capacity: number = perSecond,
  ) {}

  /**
   * Takes one token for `key` at `nowMs` if there is one (returns 0), else takes nothing
   * and returns how many milliseconds until one is there.
   */
  take(key: string, nowMs: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: nowMs };
    const tokens = Math.min(this.capacity, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.perSecond);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: nowMs });
      return 0;
    }
    this.buckets.set(key, { tokens, at: nowMs });
    return Math.ceil(((1 - tokens) / this.perSecond) * 1000);
  }
}

/**
 * Where the last complete activity sweep stopped reading the audit trail, as stored: `at`
 * (ISO-8601 UTC) is absent when nothing is stored or the stored value is not a time (the
 * sweep then reads its whole lookback); `version` is what the next conditional write
 * expects (0: no item yet; -1: an item whose version is unreadable, replaced as a whole).
 */
export interface StoredWatermark {
  readonly at?: string;
  readonly version: number;
}

/**
 * The activity sweep's watermark store. Writes are conditional on the version read, so two
 * overlapping runs never both move it: the loser's next run reads the winner's.
 */
export interface SweepWatermarks {
  read(): Promise<StoredWatermark>;
  /** Stores `at` if the stored version is still `previous.version`; false when another run moved it first. */
  advance(at: string, previous: StoredWatermark): Promise<boolean>;
}
