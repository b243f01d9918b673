import { describe, expect, it } from 'vitest';
import { percentile, sparkline } from '../../shared/domain/access-review.js';
import type { AuditEventInput, AuditEventType } from '../../shared/domain/audit.js';
import { reportAccessReview } from '../../shared/usecases/access-review-report.js';
import { InMemoryAuditLog, ManualClock } from '../support/fakes.js';
import { InMemoryAuditReader } from '../support/in-memory-audit-reader.js';

const FROM = '2026-11-01T00:00:00.000Z';
const TO = '2026-12-01T00:00:00.000Z';
const MIN = 60_000;
const HOUR = 3_600_000;

/** A small deterministic generator (mulberry32), so the month is the same on every run. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** One seeded grant: what the reference is computed from (never from the events). */
interface Seed {
  id: string;
  subject: string;
  targetId: string;
  submittedAt: number;
  approver?: string;
  latencyMs: number;
  activatedAt: number;
  endedAt: number;
  breakGlass: boolean;
  reviewedAt?: number;
  calls?: number;
}

function seedMonth(): Seed[] {
  const pick = random(42);
  const people = ['UDEV1', 'UDEV2', 'UOPS1'];
  const targets = ['dev-group', 'prod-role', 'sandbox'];
  const approvers = ['ULEAD1', 'ULEAD2', 'ULEAD3'];
  const seeds: Seed[] = [];
  const from = Date.parse(FROM);
  for (let i = 0; i < 60; i++) {
    const targetId = targets[pick(3)] as string;
    const submittedAt = from + (i % 30) * 24 * HOUR + (8 + pick(10)) * HOUR + pick(60) * MIN;
    const latencyMs = (1 + pick(120)) * MIN;
    const activatedAt = submittedAt + latencyMs + MIN;
    seeds.push({
      id: `req-${String(i).padStart(3, '0')}`,
      subject: people[pick(3)] as string,
      targetId,
      submittedAt,
      approver: approvers[pick(3)] as string,
      latencyMs,
      activatedAt,
      endedAt: activatedAt + (1 + pick(4)) * HOUR,
      breakGlass: false,
      ...(targetId === 'prod-role' ? { calls: pick(3) } : {}),
    });
  }
  // Crosses the start: submitted, approved and activated in October, ended on 1 November.
  const oct = from - 2 * HOUR;
  seeds.push({
    id: 'req-oct',
    subject: 'UDEV2',
    targetId: 'dev-group',
    submittedAt: oct - 30 * MIN,
    approver: 'ULEAD1',
    latencyMs: 29 * MIN,
    activatedAt: oct,
    endedAt: oct + 3 * HOUR,
    breakGlass: false,
  });
  // Crosses the end: still live on 1 December.
  const late = Date.parse(TO) - HOUR;
  seeds.push({
    id: 'req-late',
    subject: 'UOPS1',
    targetId: 'sandbox',
    submittedAt: late - 10 * MIN,
    approver: 'ULEAD2',
    latencyMs: 9 * MIN,
    activatedAt: late,
    endedAt: late + 4 * HOUR,
    breakGlass: false,
  });
  // Never used, but its activity summary is written after the month (the grant ends after it).
  seeds.push({
    id: 'req-edge',
    subject: 'UDEV1',
    targetId: 'prod-role',
    submittedAt: late - 20 * MIN,
    approver: 'ULEAD3',
    latencyMs: 10 * MIN,
    activatedAt: late,
    endedAt: late + 2 * HOUR,
    breakGlass: false,
    calls: 0,
  });
  // Break-glass: reviewed in the month, reviewed after it, never reviewed.
  const glass = (id: string, day: number, reviewedAt?: number): Seed => {
    const at = from + day * 24 * HOUR + 3 * HOUR;
    return {
      id,
      subject: 'UOPS1',
      targetId: 'prod-role',
      submittedAt: at,
      latencyMs: 0,
      activatedAt: at,
      endedAt: at + HOUR,
      breakGlass: true,
      calls: 7,
      ...(reviewedAt === undefined ? {} : { reviewedAt }),
    };
  };
  seeds.push(
    glass('bg-1', 3, from + 4 * 24 * HOUR),
    glass('bg-2', 28, Date.parse(TO) + 24 * HOUR),
    glass('bg-3', 29),
  );
  return seeds;
}

/** One member the reconciler found in a group without a grant: its reconciler runs. */
interface DriftSeed {
  targetId: string;
  group: string;
  member: string;
  detectedAt: number[];
  removedAt?: number;
}

function seedDrift(): DriftSeed[] {
  const day = (d: number, h = 6) => Date.parse(FROM) + d * 24 * HOUR + h * HOUR;
  return [
    // Found on two runs without removal, then removed on the third.
    {
      targetId: 'dev-group',
      group: 'jit-dev',
      member: 'jdoe',
      detectedAt: [day(2), day(3), day(4)],
      removedAt: day(4) + MIN,
    },
    // Found twice, never removed.
    { targetId: 'dev-group', group: 'jit-dev', member: 'contractor', detectedAt: [day(19), day(20)] },
    // A group nobody requested in the month: first found in October, removed on 1 November.
    {
      targetId: 'ops-group',
      group: 'jit-ops',
      member: 'old-admin',
      detectedAt: [day(-1), day(0)],
      removedAt: day(0) + MIN,
    },
    // Found only after the month: not in its review.
    { targetId: 'sandbox', group: 'jit-sandbox', member: 'late', detectedAt: [day(30, 1)] },
  ];
}

/** The seeds as the audit events the broker writes. */
function writeTrail(seeds: readonly Seed[], drift: readonly DriftSeed[] = []): InMemoryAuditLog {
  const log = new InMemoryAuditLog();
  const all: AuditEventInput[] = [];
  for (const d of drift) {
    const event = (type: 'drift.detected' | 'drift.removed', at: number) =>
      all.push({
        type,
        at: new Date(at).toISOString(),
        actor: 'system:reconciler',
        subject: d.member,
        principal: d.member,
        targetId: d.targetId,
        requestId: `drift:${d.targetId}:${d.member}`,
        breakGlass: false,
        detail: { groupName: d.group },
      });
    d.detectedAt.forEach((at) => event('drift.detected', at));
    if (d.removedAt !== undefined) event('drift.removed', d.removedAt);
  }
  for (const s of seeds) {
    const event = (type: AuditEventType, at: number, actor: string, detail?: AuditEventInput['detail']) =>
      all.push({
        type,
        at: new Date(at).toISOString(),
        actor,
        subject: s.subject,
        targetId: s.targetId,
        requestId: s.id,
        breakGlass: s.breakGlass,
        ...(detail ? { detail } : {}),
      });
    if (s.breakGlass) event('break-glass.activated', s.activatedAt, s.subject);
    else {
      event('request.submitted', s.submittedAt, s.subject);
      event('request.approved', s.submittedAt + s.latencyMs, s.approver as string);
    }
    event('grant.activated', s.activatedAt, 'system:worker');
    if (s.endedAt <= Date.parse('2026-12-05T00:00:00.000Z'))
      event('grant.expired', s.endedAt, 'system:sweeper');
    if (s.calls !== undefined)
      event('grant.activity-summarised', s.endedAt + 20 * MIN, 'system:activity', {
        calls: s.calls,
        services: s.calls ? `s3:${s.calls}` : '',
      });
    if (s.reviewedAt !== undefined) event('break-glass.reviewed', s.reviewedAt, 'USEC1');
  }
  all.sort((a, b) => (a.at < b.at ? -1 : 1)).forEach((e) => log.appendNow(e));
  return log;
}

/** The reference, straight from the seeds. */
function reference(seeds: readonly Seed[], drift: readonly DriftSeed[]) {
  const from = Date.parse(FROM);
  const to = Date.parse(TO);
  const targets = new Map<
    string,
    {
      grants: number;
      perDay: number[];
      people: Map<
        string,
        { grants: number; seconds: number; breakGlass: number; neverUsed: number; usageUnknown: number }
      >;
    }
  >();
  for (const s of seeds) {
    const t = targets.get(s.targetId) ?? { grants: 0, perDay: Array<number>(30).fill(0), people: new Map() };
    targets.set(s.targetId, t);
    const inPeriod = s.activatedAt >= from && s.activatedAt < to;
    if (inPeriod) {
      t.grants++;
      t.perDay[Math.floor((s.activatedAt - from) / (24 * HOUR))]! += 1;
    }
    const seconds = (Math.min(s.endedAt, to) - Math.max(s.activatedAt, from)) / 1000;
    const p = t.people.get(s.subject) ?? {
      grants: 0,
      seconds: 0,
      breakGlass: 0,
      neverUsed: 0,
      usageUnknown: 0,
    };
    const count = (holds: boolean) => (inPeriod && holds ? 1 : 0);
    t.people.set(s.subject, {
      grants: p.grants + count(true),
      seconds: p.seconds + seconds,
      breakGlass: p.breakGlass + count(s.breakGlass),
      neverUsed: p.neverUsed + count(s.calls === 0),
      usageUnknown: p.usageUnknown + count(s.calls === undefined),
    });
  }
  const standing = new Map<
    string,
    { member: string; group: string; firstSeen: string; removed: boolean }[]
  >();
  for (const d of drift) {
    const inPeriod = (at: number) => at >= from && at < to;
    const seen = d.detectedAt.filter(inPeriod);
    if (seen.length === 0) continue;
    if (!targets.has(d.targetId))
      targets.set(d.targetId, { grants: 0, perDay: Array<number>(30).fill(0), people: new Map() });
    const removed = d.removedAt !== undefined && inPeriod(d.removedAt);
    standing.set(d.targetId, [
      ...(standing.get(d.targetId) ?? []),
      { member: d.member, group: d.group, firstSeen: new Date(Math.min(...seen)).toISOString(), removed },
    ]);
  }
  const approved = seeds.filter((s) => !s.breakGlass && s.submittedAt + s.latencyMs >= from);
  const approvals = new Map<string, number>();
  approved.forEach((s) =>
    approvals.set(s.approver as string, (approvals.get(s.approver as string) ?? 0) + 1),
  );
  const latencies = approved.map((s) => s.latencyMs / 1000).sort((a, b) => a - b);
  const rank = (p: number) => latencies[Math.ceil((p / 100) * latencies.length) - 1];
  // The grants of the month: activated in it (their summaries may come after it), by request id.
  const ofPeriod = seeds
    .filter((s) => s.activatedAt >= from && s.activatedAt < to)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  return {
    from: FROM,
    to: TO,
    targets: [...targets]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([targetId, t]) => {
        const people = [...t.people]
          .map(([subject, p]) => ({ subject, ...p }))
          .sort((a, b) => b.seconds - a.seconds || (a.subject < b.subject ? -1 : 1));
        return {
          targetId,
          grants: t.grants,
          people,
          seconds: people.reduce((n, p) => n + p.seconds, 0),
          perDay: t.perDay,
          ...(standing.has(targetId) ? { standingMembers: standing.get(targetId) } : {}),
        };
      }),
    unreviewedBreakGlass: seeds
      .filter((s) => s.breakGlass && s.reviewedAt === undefined)
      .map((s) => ({
        requestId: s.id,
        subject: s.subject,
        targetId: s.targetId,
        at: new Date(s.activatedAt).toISOString(),
      })),
    approvalsByApprover: [...approvals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    approvalLatency: { count: latencies.length, p50: rank(50), p95: rank(95) },
    neverUsed: ofPeriod
      .filter((s) => s.calls === 0)
      .map((s) => ({ requestId: s.id, subject: s.subject, targetId: s.targetId })),
    usageUnknown: ofPeriod
      .filter((s) => s.calls === undefined)
      .map((s) => ({ requestId: s.id, subject: s.subject, targetId: s.targetId })),
  };
}

describe('the periodic access review', () => {
  it('over a seeded month matches the reference computed from the seeds', async () => {
    const seeds = seedMonth();
    const drift = seedDrift();
    const log = writeTrail(seeds, drift);
    const reader = new InMemoryAuditReader(() => log.events);
    const review = await reportAccessReview(
      { reader, clock: new ManualClock('2026-12-05T00:00:00.000Z') },
      { from: '2026-11-01', to: '2026-12-01' },
    );
    const expected = reference(seeds, drift);
    expect(review).toEqual(expected);
    // The seeds cover every case the review has to get right.
    expect(expected.neverUsed.length).toBeGreaterThan(1);
    expect(expected.neverUsed.map((g) => g.requestId)).toContain('req-edge');
    expect(expected.usageUnknown.map((g) => g.requestId)).toContain('req-late');
    expect(expected.unreviewedBreakGlass.map((g) => g.requestId)).toEqual(['bg-3']);
    expect(expected.approvalLatency.count).toBe(62);
    const standing = expected.targets.flatMap((t) => t.standingMembers ?? []);
    expect(standing.map((m) => [m.member, m.removed])).toEqual([
      ['jdoe', true],
      ['contractor', false],
      ['old-admin', true],
    ]);
    // The month is read through the period's query, then only by request id: req-oct (its
    // activation), bg-2 and bg-3 (reviews); then the day after it, for late activity summaries.
    expect(reader.reads).toBe(5);
  });

  it('draws one bar per day, scaled to the busiest, and takes nearest-rank percentiles', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('▁▃▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeUndefined();
  });
});
