import type { AccessReview, StandingMember, TargetReview } from './access-review.js';

/**
 * Delivering the periodic access review: which period a run covers, the review as CSV (one
 * row per target and person, and per member found by drift) and as one small SVG chart per target, and the ports that keep
 * the CSV, post to Slack and make a period's delivery happen once. Pure: no I/O, no clock.
 */

const DAY_MS = 86_400_000;

/** The default review period: a week. */
export const DEFAULT_REVIEW_PERIOD_DAYS = 7;

/** Where every review object lives (S3 prefix, or folder under the local data dir). */
export const REVIEW_PREFIX = 'reviews/';

/** A review period [`from`, `to`) as ISO-8601 times. */
export interface ReviewPeriod {
  readonly from: string;
  readonly to: string;
}

/**
 * The last complete period before `now`: it ends at the start of `now`'s UTC day and lasts
 * `days` days. A run on Monday morning with 7 days reviews Monday to Sunday of last week.
 */
export function lastReviewPeriod(now: Date, days: number = DEFAULT_REVIEW_PERIOD_DAYS): ReviewPeriod {
  const to = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { from: new Date(to - days * DAY_MS).toISOString(), to: new Date(to).toISOString() };
}

/** The period's name in keys and markers: `2026-11-23_2026-11-30`. */
export function reviewPeriodName(period: ReviewPeriod): string {
  return `${period.from.slice(0, 10)}_${period.to.slice(0, 10)}`;
}

/** The CSV's object key: `reviews/<period>/access-review.csv`. */
export function reviewCsvKey(period: ReviewPeriod): string {
  return `${REVIEW_PREFIX}${reviewPeriodName(period)}/access-review.csv`;
}

/**
 * The CSV's columns, in order. Every row has them all: `kind` tells an `access` row (a target
 * and person, the counts filled) from a `standing` row (a member found by drift: `person` is
 * the member, the counts are empty, `group`, `first_seen` and `removed` are filled).
 */
export const REVIEW_CSV_COLUMNS = [
  'period_from',
  'period_to',
  'target',
  'person',
  'grants',
  'total_seconds',
  'break_glass',
  'never_used',
  'usage_unknown',
  'kind',
  'group',
  'first_seen',
  'removed',
] as const;

/** How many standing members the Slack summary names per target (the CSV has them all). */
export const SUMMARY_STANDING_NAMES = 3;

/**
 * One CSV cell (RFC 4180 quoting). Why: a cell starting with `=`, `+`, `-` or `@` is a formula
 * to a spreadsheet, so text cells get a leading `'` (a policy's target id is not trusted input).
 */
function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * The review as CSV: a header, then per target (the review's order) one `access` row per
 * person, then one `standing` row per member found by drift.
 */
export function accessReviewCsv(review: AccessReview): string {
  const rows = review.targets.flatMap((t) => [
    ...t.people.map((p) => [
      review.from,
      review.to,
      t.targetId,
      p.subject,
      p.grants,
      p.seconds,
      p.breakGlass,
      p.neverUsed,
      p.usageUnknown,
      'access',
      '',
      '',
      '',
    ]),
    ...(t.standingMembers ?? []).map((m) => [
      review.from,
      review.to,
      t.targetId,
      m.member,
      '',
      '',
      '',
      '',
      '',
      'standing',
      m.group,
      m.firstSeen,
      String(m.removed),
    ]),
  ]);
  return [[...REVIEW_CSV_COLUMNS], ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function xmlText(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

const CHART = { width: 480, height: 160, top: 28, bottom: 22, left: 28, right: 8 } as const;

/**
 * A bar chart of one target's grants per day, as a standalone SVG (no script, no external
 * reference): one bar per day of the period, scaled to the busiest day, with the target's
 * name, its totals and each bar's count as a tooltip.
 */
export function targetChartSvg(target: TargetReview, period: ReviewPeriod): string {
  const days = target.perDay.length;
  const max = Math.max(1, ...target.perDay);
  const plotW = CHART.width - CHART.left - CHART.right;
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const slot = plotW / Math.max(1, days);
  const bars = target.perDay.map((n, i) => {
    const h = Math.round((n / max) * plotH);
    const x = (CHART.left + i * slot + slot * 0.15).toFixed(1);
    const y = CHART.top + plotH - h;
    const day = new Date(Date.parse(period.from) + i * DAY_MS).toISOString().slice(0, 10);
    return `<rect x="${x}" y="${y}" width="${(slot * 0.7).toFixed(1)}" height="${h}" fill="#2f6fdf"><title>${day}: ${n}</title></rect>`;
  });
  const base = CHART.top + plotH;
  const title = `${target.targetId}: ${target.grants} grants, ${Math.round(target.seconds / 60)} min`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART.width}" height="${CHART.height}" viewBox="0 0 ${CHART.width} ${CHART.height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${CHART.left}" y="18" font-family="sans-serif" font-size="13" fill="#111">${xmlText(title)}</text>`,
    `<text x="4" y="${CHART.top + 10}" font-family="sans-serif" font-size="10" fill="#555">${max}</text>`,
    `<line x1="${CHART.left}" y1="${base}" x2="${CHART.width - CHART.right}" y2="${base}" stroke="#999"/>`,
    ...bars,
    `<text x="${CHART.left}" y="${CHART.height - 6}" font-family="sans-serif" font-size="10" fill="#555">${period.from.slice(0, 10)}</text>`,
    `<text x="${CHART.width - CHART.right}" y="${CHART.height - 6}" text-anchor="end" font-family="sans-serif" font-size="10" fill="#555">${period.to.slice(0, 10)} (grants per day)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** The Slack summary (mrkdwn) of a review whose CSV is at `csvLocation`. */
export function reviewSummaryText(review: AccessReview, csvLocation: string): string {
  const grants = review.targets.reduce((n, t) => n + t.grants, 0);
  const people = new Set(review.targets.flatMap((t) => t.people.map((p) => p.subject))).size;
  const minutes = (s: number | undefined) => (s === undefined ? 'n/a' : `${Math.round(s / 60)} min`);
  const lines = [
    `*Access review ${review.from.slice(0, 10)} to ${review.to.slice(0, 10)}*`,
    `${grants} grants to ${people} people on ${review.targets.length} targets.`,
    ...review.targets.flatMap((t) => [
      `• *${t.targetId}*: ${t.grants} grants, ${t.people.length} people, ${minutes(t.seconds)}`,
      ...(t.standingMembers?.length ? [standingLine(t.standingMembers)] : []),
    ]),
    `Break-glass not reviewed: ${review.unreviewedBreakGlass.length}` +
      (review.unreviewedBreakGlass.length > 0
        ? ` (${review.unreviewedBreakGlass.map((g) => g.requestId).join(', ')})`
        : ''),
    `Approvals: ${review.approvalLatency.count}, latency p50 ${minutes(review.approvalLatency.p50)}, p95 ${minutes(review.approvalLatency.p95)}`,
    `Grants never used: ${review.neverUsed.length}; use unknown (no activity summary): ${review.usageUnknown.length}`,
    `CSV: ${csvLocation}`,
  ];
  return lines.join('\n');
}

/** One bounded summary line of a target's standing members: the count, then a few names. */
function standingLine(members: readonly StandingMember[]): string {
  const removed = members.filter((m) => m.removed).length;
  const names = members.slice(0, SUMMARY_STANDING_NAMES).map((m) => m.member);
  const more = members.length - names.length;
  return (
    `    standing members found by drift: ${members.length} (${removed} removed): ${names.join(', ')}` +
    (more > 0 ? ` and ${more} more` : '')
  );
}

/** Keeps review objects (S3 under `reviews/` in AWS, a folder locally). */
export interface ReviewStore {
  /** Writes `body` at `key` (under REVIEW_PREFIX); a re-run of the same period overwrites it. */
  put(key: string, body: string, contentType: string): Promise<{ readonly location: string }>;
}

/** One file attached to the Slack summary. */
export interface ReviewFile {
  readonly filename: string;
  readonly title: string;
  readonly content: string;
}

/** The Slack message metadata `event_type` of a review's summary (its payload names the period). */
export const REVIEW_MESSAGE_EVENT_TYPE = 'jit_access_review';

/**
 * Posts a review's summary, with its files attached, to a Slack channel. The summary carries
 * the period as message metadata, so a later run can tell it was posted (`findPosted`).
 */
export interface ReviewPoster {
  post(message: {
    readonly channel: string;
    readonly text: string;
    readonly files: readonly ReviewFile[];
    /** The period's name ({@link reviewPeriodName}), carried as the message's metadata. */
    readonly period?: string;
  }): Promise<void>;
  /**
   * Whether the summary of `period` is already in `channel` (posted at or after `since`).
   * Optional: a poster that cannot read the channel back is trusted to post once.
   */
  findPosted?(query: {
    readonly channel: string;
    readonly period: string;
    readonly since: Date;
  }): Promise<boolean>;
}

/** What a claim on a period's delivery found. */
export type ReviewClaim = 'claimed' | 'delivered' | 'busy';

/**
 * One marker per period, so a period is posted once. Invariants: `claim` succeeds for one
 * caller at a time (a conditional write); a claim not completed within its lease, or
 * released, may be claimed again; a `complete`d period is never claimed again.
 */
export interface ReviewMarkers {
  claim(period: string, now: Date, leaseMs: number): Promise<ReviewClaim>;
  complete(
    period: string,
    now: Date,
    detail: { readonly location: string; readonly posted: boolean },
  ): Promise<void>;
  release(period: string): Promise<void>;
}
