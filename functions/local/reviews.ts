import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FolderReviewStore } from '../../shared/adapters/reviews/folder-review-store.js';
import { REVIEW_PREFIX } from '../../shared/domain/review-delivery.js';
import {
  deliverAccessReview,
  type DeliverAccessReviewDeps,
  type ReviewDelivery,
} from '../../shared/usecases/deliver-access-review.js';

export interface LocalReviews {
  /** The folder holding `reviews/<from>_<to>/access-review.csv` (the S3 bucket's layout). */
  readonly dir: string;
  /** Where the CSVs land: `<dir>/reviews/`. */
  readonly reviewsDir: string;
  /** Delivers the last complete period unless an earlier run did (once per period). */
  deliverNow(): Promise<ReviewDelivery>;
}

/**
 * The local stand-in of the access-review function: the same use case, with its CSV written
 * through the folder store into `<LOCAL_DATA_DIR>/reviews` (a temporary folder in memory
 * mode) and its summary posted to the runner's Slack (the sandbox unless configured). The
 * period markers live in the audit table, so a restart does not deliver a period again.
 */
export function createLocalReviews(
  dataDir: string,
  deps: Omit<DeliverAccessReviewDeps, 'store'>,
  periodDays?: number,
): LocalReviews {
  const dir =
    dataDir === 'memory' ? mkdtempSync(join(tmpdir(), 'jit-reviews-')) : resolve(dataDir, 'reviews');
  const store = new FolderReviewStore(dir);
  return {
    dir,
    reviewsDir: join(dir, REVIEW_PREFIX),
    deliverNow: () => deliverAccessReview({ ...deps, store }, periodDays === undefined ? {} : { periodDays }),
  };
}
