import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/config.js';
import { startLocalBroker, type LocalBroker } from '../../../functions/local/runner.js';
import {
  lastReviewPeriod,
  REVIEW_CSV_COLUMNS,
  reviewCsvKey,
} from '../../../shared/domain/review-delivery.js';

const DAY_S = 86_400;
/** The example policy's breakGlass.securityChannel: where reviews are posted. */
const SECURITY_CHANNEL = 'C0SECURITY1';

describe('the local runner delivers the weekly access review on its timer', () => {
  let broker: LocalBroker;
  let offsetSeconds = 0;
  const now = () => new Date(Date.now() + offsetSeconds * 1000);

  beforeAll(async () => {
    broker = await startLocalBroker({
      config: readLocalConfig({
        PORT: '0',
        AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
        TABLE_PREFIX: `reviews-${randomUUID().slice(0, 8)}-`,
        LOCAL_DATA_DIR: 'memory',
        SWEEP_INTERVAL_SECONDS: '1',
        LOCAL_QUIET: 'true',
      }),
      clock: { now },
    });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  /** The review posts the Slack sandbox received in the security channel (a message or shared files). */
  const reviewPosts = () =>
    (broker.slack?.calls ?? []).filter(
      (c) =>
        (c.method === 'chat.postMessage' && c.args.channel === SECURITY_CHANNEL) ||
        (c.method === 'files.completeUploadExternal' && c.args.channel_id === SECURITY_CHANNEL),
    );
  const periodDirs = () => {
    const dir = broker.evidence.reviews.reviewsDir;
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };
  /** Waits for `n` more sweeps to end: each is one tick of the timer the review rides on. */
  const ticks = async (n: number) => {
    let seen = 0;
    let last = (await broker.health()).sweeper.lastFinishedAt;
    await expect
      .poll(
        async () => {
          const finished = (await broker.health()).sweeper.lastFinishedAt;
          if (finished !== last) {
            seen += 1;
            last = finished;
          }
          return seen;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(n);
  };

  it('writes the CSV of each complete period once, and posts it to the security channel once', async () => {
    const first = lastReviewPeriod(now());
    const firstCsv = join(broker.evidence.reviews.dir, ...reviewCsvKey(first).split('/'));
    await expect.poll(() => existsSync(firstCsv), { timeout: 30_000 }).toBe(true);
    expect(readFileSync(firstCsv, 'utf8').split(/\r?\n/)[0]).toBe(REVIEW_CSV_COLUMNS.join(','));
    await expect.poll(() => reviewPosts().length, { timeout: 30_000 }).toBe(1);

    // Later ticks in the same period deliver nothing more.
    await ticks(3);
    expect(periodDirs()).toHaveLength(1);
    expect(reviewPosts()).toHaveLength(1);

    // A week later the next period is delivered, once.
    offsetSeconds += 7 * DAY_S;
    const second = lastReviewPeriod(now());
    const secondCsv = join(broker.evidence.reviews.dir, ...reviewCsvKey(second).split('/'));
    await expect.poll(() => existsSync(secondCsv), { timeout: 30_000 }).toBe(true);
    await ticks(3);
    expect(periodDirs()).toHaveLength(2);
    expect(reviewPosts()).toHaveLength(2);
  });
});
