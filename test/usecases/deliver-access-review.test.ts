import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoReviewMarkers } from '../../shared/adapters/dynamodb/review-markers.js';
import { FolderReviewStore } from '../../shared/adapters/reviews/folder-review-store.js';
import { SlackReviewPoster } from '../../shared/adapters/slack/review-poster.js';
import type { AuditEventInput, AuditEventType } from '../../shared/domain/audit.js';
import {
  accessReviewCsv,
  lastReviewPeriod,
  REVIEW_CSV_COLUMNS,
  reviewSummaryText,
  targetChartSvg,
} from '../../shared/domain/review-delivery.js';
import {
  deliverAccessReview,
  type DeliverAccessReviewDeps,
} from '../../shared/usecases/deliver-access-review.js';
import { InMemoryAuditLog, ManualClock, silentLogger } from '../support/fakes.js';
import { InMemoryAuditReader } from '../support/in-memory-audit-reader.js';
import { useLocalTables } from '../support/local-dynamo.js';
import { SlackStandIn } from '../support/slack.js';

const HOUR = 3_600_000;
// Monday 30 November 2026, 06:00 UTC: the weekly run reviews 23 to 30 November.
const RUN_AT = '2026-11-30T06:00:00.000Z';
const WEEK_FROM = Date.parse('2026-11-23T00:00:00.000Z');

/** A week of grants: two people on two targets, one break-glass, one used, one never used. */
function seedWeek(): InMemoryAuditLog {
  const log = new InMemoryAuditLog();
  const all: AuditEventInput[] = [];
  const grant = (
    requestId: string,
    subject: string,
    targetId: string,
    day: number,
    hours: number,
    options: { breakGlass?: boolean; calls?: number } = {},
  ) => {
    const at = WEEK_FROM + day * 24 * HOUR + 9 * HOUR;
    const event = (type: AuditEventType, when: number, detail?: AuditEventInput['detail']) =>
      all.push({
        type,
        at: new Date(when).toISOString(),
        actor: 'system:worker',
        subject,
        targetId,
        requestId,
        breakGlass: options.breakGlass ?? false,
        ...(detail ? { detail } : {}),
      });
    if (options.breakGlass) event('break-glass.activated', at);
    event('grant.activated', at);
    event('grant.expired', at + hours * HOUR);
    if (options.calls !== undefined)
      event('grant.activity-summarised', at + hours * HOUR + 60_000, { calls: options.calls, services: '' });
  };
  grant('r1', 'UDEV1', 'prod-role', 0, 2, { calls: 0 });
  grant('r2', 'UDEV1', 'prod-role', 2, 1, { calls: 12 });
  grant('r3', 'UOPS1', 'prod-role', 4, 1, { breakGlass: true, calls: 3 });
  grant('r4', 'UDEV1', 'dev-group', 1, 4);
  grant('r5', 'UDEV1', 'dev-group', 1, 1);
  all.sort((a, b) => (a.at < b.at ? -1 : 1)).forEach((e) => log.appendNow(e));
  return log;
}

describe('delivering the weekly access review', () => {
  const tables = useLocalTables();
  const slack = new SlackStandIn();
  beforeAll(async () => {
    await slack.start();
  });
  afterAll(async () => {
    await slack.stop();
  });
  beforeEach(() => slack.reset());

  const wire = (overrides: Partial<DeliverAccessReviewDeps> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'jit-reviews-'));
    const log = seedWeek();
    const deps: DeliverAccessReviewDeps = {
      reader: new InMemoryAuditReader(() => log.events),
      clock: new ManualClock(RUN_AT),
      store: new FolderReviewStore(dir),
      poster: new SlackReviewPoster(new WebClient('xoxb-test', { slackApiUrl: slack.url })),
      markers: new DynamoReviewMarkers(tables().doc, tables().names.audit),
      channel: 'CSEC00001',
      logger: silentLogger,
      ...overrides,
    };
    return { deps, dir };
  };

  it('writes one CSV row per target and person and posts a chart per target, once per period', async () => {
    const { deps, dir } = wire();
    const run = await deliverAccessReview(deps);
    expect(run).toMatchObject({ status: 'delivered', posted: true });
    expect(run.period).toEqual({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' });

    const csv = readFileSync(join(dir, 'reviews', '2026-11-23_2026-11-30', 'access-review.csv'), 'utf8');
    const from = '2026-11-23T00:00:00.000Z';
    const to = '2026-11-30T00:00:00.000Z';
    expect(csv.trimEnd().split('\r\n')).toEqual([
      REVIEW_CSV_COLUMNS.join(','),
      // target, person, grants, seconds, break-glass, never used, use unknown, kind
      `${from},${to},dev-group,UDEV1,2,${5 * 3600},0,0,2,access,,,`,
      `${from},${to},prod-role,UDEV1,2,${3 * 3600},0,1,0,access,,,`,
      `${from},${to},prod-role,UOPS1,1,${1 * 3600},1,0,0,access,,,`,
    ]);

    // Slack's current upload flow: an upload URL per chart, the bytes, then one completion.
    const urls = slack.callsOf('files.getUploadURLExternal');
    expect(urls.map((c) => c.args.filename)).toEqual([
      'access-review-2026-11-23_2026-11-30-dev-group.svg',
      'access-review-2026-11-23_2026-11-30-prod-role.svg',
    ]);
    expect(slack.calls.filter((c) => c.method.startsWith('upload/'))).toHaveLength(2);
    // The summary carries the period as metadata; the charts are shared in its thread.
    const [summary, ...others] = slack.callsOf('chat.postMessage');
    expect(others).toEqual([]);
    expect(summary?.args.channel).toBe('CSEC00001');
    expect(String(summary?.args.text)).toContain(
      'Grants never used: 1; use unknown (no activity summary): 2',
    );
    expect(summary?.args.metadata).toEqual({
      event_type: 'jit_access_review',
      event_payload: { period: '2026-11-23_2026-11-30' },
    });
    const [complete, ...more] = slack.callsOf('files.completeUploadExternal');
    expect(more).toEqual([]);
    expect(complete?.args.channel_id).toBe('CSEC00001');
    expect(complete?.args.thread_ts).toBe(summary?.response.ts);
    expect((complete?.args.files as { id: string }[]).map((f) => f.id)).toEqual(
      urls.map((c) => c.response.file_id),
    );
    expect(slack.callsOf('files.upload')).toEqual([]);

    // A second run of the same period (a retried schedule, the local timer) posts nothing.
    slack.reset();
    expect(await deliverAccessReview(deps)).toMatchObject({ status: 'already-delivered' });
    expect(slack.calls).toEqual([]);
  });

  it('leaves a period another run holds alone, and retries one whose post failed', async () => {
    const { deps } = wire();
    const period = '2026-11-23_2026-11-30';
    expect(await deps.markers.claim(period, new Date(RUN_AT), 60_000)).toBe('claimed');
    expect(await deliverAccessReview(deps)).toMatchObject({ status: 'in-progress' });
    expect(slack.calls).toEqual([]);
    await deps.markers.release(period);

    slack.failWith('chat.postMessage', { error: 'not_in_channel' });
    await expect(deliverAccessReview(deps)).rejects.toThrow(/not_in_channel/);
    slack.reset();
    expect(await deliverAccessReview(deps)).toMatchObject({ status: 'delivered', posted: true });
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(slack.callsOf('files.completeUploadExternal')).toHaveLength(1);
  });

  it('posts once when a run dies between the post and the marker: the next run finds its message', async () => {
    const { deps } = wire();
    const clock = deps.clock as ManualClock;
    // A run that dies after posting: neither the completion nor the release ever happens.
    const dying = {
      claim: deps.markers.claim.bind(deps.markers),
      complete: () => Promise.reject(new Error('the function timed out')),
      release: () => Promise.resolve(),
    };
    await expect(deliverAccessReview({ ...deps, markers: dying })).rejects.toThrow(/timed out/);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);

    // Within the lease the claim still holds; after it the next run takes the period over.
    expect(await deliverAccessReview(deps)).toMatchObject({ status: 'in-progress' });
    clock.advance(16 * 60);
    expect(await deliverAccessReview(deps)).toMatchObject({ status: 'delivered', posted: true });
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(slack.callsOf('conversations.history').at(-1)?.args).toMatchObject({
      channel: 'CSEC00001',
      include_all_metadata: 'true',
      oldest: String(Date.parse('2026-11-30T00:00:00.000Z') / 1000) + '.000000',
    });
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(slack.callsOf('files.completeUploadExternal')).toHaveLength(1);
    expect(await deliverAccessReview(deps)).toMatchObject({ status: 'already-delivered' });
  });

  it('writes the CSV but posts nothing when the policy names no security channel', async () => {
    const { deps } = wire({ channel: undefined });
    expect(await deliverAccessReview(deps)).toMatchObject({ status: 'delivered', posted: false });
    expect(slack.calls).toEqual([]);
  });

  it('reviews the last complete period, quotes CSV cells and draws one bar per day', () => {
    expect(lastReviewPeriod(new Date('2026-11-30T23:59:00Z'), 7)).toEqual({
      from: '2026-11-23T00:00:00.000Z',
      to: '2026-11-30T00:00:00.000Z',
    });
    const target = { targetId: '=HYPERLINK("x")', grants: 3, seconds: 60, perDay: [1, 0, 2], people: [] };
    const review = {
      from: 'a',
      to: 'b',
      targets: [
        {
          ...target,
          people: [{ subject: 'U1,2', grants: 1, seconds: 60, breakGlass: 0, neverUsed: 0, usageUnknown: 1 }],
        },
      ],
      unreviewedBreakGlass: [],
      approvalsByApprover: [],
      approvalLatency: { count: 0 },
      neverUsed: [],
      usageUnknown: [],
    };
    expect(accessReviewCsv(review).split('\r\n')[1]).toBe(
      `a,b,"'=HYPERLINK(""x"")","U1,2",1,60,0,0,1,access,,,`,
    );
    const svg = targetChartSvg(target, { from: '2026-11-01T00:00:00.000Z', to: '2026-11-04T00:00:00.000Z' });
    expect(svg.match(/<rect x=/g)).toHaveLength(3);
    expect(svg).toContain('=HYPERLINK(&quot;x&quot;)');
    expect(svg).not.toMatch(/<script|href=/);
  });

  it('lists standing members found by drift as CSV rows and a bounded summary line per target', () => {
    const member = (name: string, removed: boolean) => ({
      member: name,
      group: 'jit-ops',
      firstSeen: '2026-11-02T06:00:00.000Z',
      removed,
    });
    const review = {
      from: 'a',
      to: 'b',
      targets: [
        {
          targetId: 'ops-group',
          grants: 0,
          seconds: 0,
          perDay: [0],
          people: [],
          standingMembers: [
            member('jdoe', true),
            member('m2', false),
            member('m3', false),
            member('m4', true),
            member('m5', false),
          ],
        },
      ],
      unreviewedBreakGlass: [],
      approvalsByApprover: [],
      approvalLatency: { count: 0 },
      neverUsed: [],
      usageUnknown: [],
    };
    const rows = accessReviewCsv(review).trimEnd().split('\r\n');
    expect(rows).toHaveLength(6);
    expect(rows[1]).toBe('a,b,ops-group,jdoe,,,,,,standing,jit-ops,2026-11-02T06:00:00.000Z,true');
    expect(rows.every((r) => r.split(',').length === REVIEW_CSV_COLUMNS.length)).toBe(true);
    expect(reviewSummaryText(review, 'loc')).toContain(
      '    standing members found by drift: 5 (2 removed): jdoe, m2, m3 and 2 more',
    );
  });
});
