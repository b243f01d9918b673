import type { AuditReader } from '../domain/audit-query.js';
import type { Clock } from '../domain/ports.js';
import {
  accessReviewCsv,
  lastReviewPeriod,
  reviewCsvKey,
  reviewPeriodName,
  reviewSummaryText,
  targetChartSvg,
  type ReviewMarkers,
  type ReviewPeriod,
  type ReviewPoster,
  type ReviewStore,
} from '../domain/review-delivery.js';
import { reportAccessReview } from './access-review-report.js';
import type { UseCaseLogger } from './deps.js';

/** How long a claim on a period holds before another run may take it over (longer than a run). */
export const REVIEW_CLAIM_LEASE_MS = 15 * 60_000;

export interface DeliverAccessReviewDeps {
  readonly reader: AuditReader;
  readonly clock: Clock;
  readonly store: ReviewStore;
  readonly poster: ReviewPoster;
  readonly markers: ReviewMarkers;
  /** The security channel (the policy's breakGlass.securityChannel); no post without one. */
  readonly channel: string | undefined;
  readonly logger: UseCaseLogger;
}

export type ReviewDelivery =
  | {
      readonly status: 'delivered';
      readonly period: ReviewPeriod;
      readonly location: string;
      readonly posted: boolean;
    }
  /** This period was delivered by an earlier run: nothing written, nothing posted. */
  | { readonly status: 'already-delivered'; readonly period: ReviewPeriod }
  /** Another run holds the period's claim (within its lease): this one leaves it alone. */
  | { readonly status: 'in-progress'; readonly period: ReviewPeriod };

/**
 * Delivers the access review of the last complete period (`periodDays` long, ending at the
 * start of today, UTC): writes it as CSV under `reviews/`, then posts a summary with one SVG
 * chart per target to the security channel. Once per period: a conditional marker is claimed
 * before anything is written and completed after the post, so a re-run (a retried schedule,
 * the local timer) posts nothing. A failure releases the claim and throws: the next run
 * retries. Exactly once as seen in the channel: the summary carries the period as message
 * metadata, and a run that claims the period first looks for it in the channel's history
 * since the period ended (a crash between the post and the marker's completion, a failed
 * completion): found, it marks the period delivered without posting. The CSV's key is the
 * period's, so writing it again overwrites the same object.
 */
export async function deliverAccessReview(
  deps: DeliverAccessReviewDeps,
  options: { readonly periodDays?: number } = {},
): Promise<ReviewDelivery> {
  const now = deps.clock.now();
  const period = lastReviewPeriod(now, options.periodDays);
  const name = reviewPeriodName(period);
  const claim = await deps.markers.claim(name, now, REVIEW_CLAIM_LEASE_MS);
  if (claim === 'delivered') return { status: 'already-delivered', period };
  if (claim === 'busy') return { status: 'in-progress', period };
  try {
    const review = await reportAccessReview({ reader: deps.reader, clock: deps.clock }, period);
    const { location } = await deps.store.put(reviewCsvKey(period), accessReviewCsv(review), 'text/csv');
    const posted = deps.channel !== undefined;
    if (deps.channel === undefined) {
      deps.logger.warn('access review not posted: the policy names no security channel', { period: name });
    } else if (
      // Why: an earlier run may have posted and then died before completing the marker.
      await deps.poster.findPosted?.({ channel: deps.channel, period: name, since: new Date(period.to) })
    ) {
      deps.logger.info('access review already in the channel: marked delivered without posting', {
        period: name,
      });
    } else {
      await deps.poster.post({
        period: name,
        channel: deps.channel,
        text: reviewSummaryText(review, location),
        files: review.targets.map((t) => ({
          filename: `access-review-${name}-${t.targetId}.svg`,
          title: `${t.targetId}: grants per day`,
          content: targetChartSvg(t, period),
        })),
      });
    }
    await deps.markers.complete(name, deps.clock.now(), { location, posted });
    deps.logger.info('access review delivered', { period: name, location, posted });
    return { status: 'delivered', period, location, posted };
  } catch (error) {
    await deps.markers.release(name).catch(() => undefined);
    throw error;
  }
}
