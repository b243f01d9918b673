import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import {
  ACTIVITY_WATERMARK_KEY,
  DynamoSweepWatermarks,
} from '../../../shared/adapters/dynamodb/sweep-watermarks.js';
import { TokenBucket, type ActivityLookup } from '../../../shared/domain/activity.js';
import type { AuditEvent } from '../../../shared/domain/audit.js';
import type { AuditFilter, AuditReader } from '../../../shared/domain/audit-query.js';
import type { AccessRequest } from '../../../shared/domain/request.js';
import { roleSessionOf } from '../../../shared/targets/role/activity-session.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import {
  summariseGrantActivity,
  sweepGrantActivity,
  type ActivityDeps,
} from '../../../shared/usecases/summarise-activity.js';
import { breakGlassOutage } from '../../support/break-glass.js';
import { fakeWorld, staticPolicy } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

/**
 * The activity sweep reads only what is new: a watermark in the audit table (where the last
 * complete run stopped, held back by grants still due). On DynamoDB Local, with the manual
 * clock, counting every audit event the runs read.
 */
describe('the activity sweep watermark', () => {
  const db = useLocalTables();
  const SWEEP = { lookbackDays: 1, settleSeconds: 900 };

  /** A reader over the real audit table that counts the events it hands out. */
  function countingReader(): AuditReader & { read: number } {
    const inner = new DynamoAuditQuery(db().doc, db().names.audit);
    const reader = {
      read: 0,
      query: inner.query.bind(inner),
      async *stream(filter: AuditFilter, now: Date) {
        for await (const event of inner.stream(filter, now)) {
          reader.read++;
          yield event;
        }
      },
    };
    return reader;
  }

  /** CloudTrail stand-in: `pages[principal]` pages (empty) per session, or a throw for principals in `failing`. */
  function trail(pages: Record<string, number> = {}, failing = new Set<string>()) {
    const calls: string[] = [];
    const lookup: ActivityLookup = {
      lookup: (query) => {
        const principal = query.username.split('@')[0] as string;
        calls.push(principal);
        if (failing.has(principal)) return Promise.reject(new Error('CloudTrail is down'));
        const page = Number(query.nextToken ?? '1');
        return Promise.resolve({
          records: [],
          ...(page < (pages[principal] ?? 1) ? { nextToken: String(page + 1) } : {}),
        });
      },
    };
    return { lookup, calls };
  }

  function world() {
    const w = fakeWorld();
    const deps = { ...w.deps, store: db().requests, audit: db().audit };
    const reader = countingReader();
    const watermarks = new DynamoSweepWatermarks(db().doc, db().names.audit);
    const cloudTrail = trail();
    const activity: ActivityDeps & { reader: typeof reader; watermarks: DynamoSweepWatermarks } = {
      store: db().requests,
      audit: db().audit,
      lookup: { lookup: (query) => cloudTrail.lookup.lookup(query) },
      budget: new TokenBucket(2),
      clock: w.clock,
      sleep: (ms) => Promise.resolve(w.clock.advance(ms / 1000)),
      events: w.events,
      sessionOf: roleSessionOf(staticPolicy(w.policy)),
      regions: ['eu-west-1'],
      reader,
      watermarks,
    };
    /** A break-glass role grant of `principal`, activated now and expired a minute after its end. */
    async function endedGrant(principal: string): Promise<AccessRequest> {
      const glass = await breakGlassOutage(deps, principal);
      const activated = await activate(glass.id);
      w.clock.set(activated.endsAt as string);
      w.clock.advance(60);
      const ended = await db().requests.transition(activated, {
        to: 'EXPIRED',
        at: w.clock.now(),
        audit: auditOf(activated, 'grant.expired', {
          at: w.clock.now(),
          actor: 'system:sweeper',
          to: 'EXPIRED',
        }),
      });
      if (!ended.ok) throw new Error('conflict');
      return ended.request;
    }
    async function activate(id: string): Promise<AccessRequest> {
      const approved = (await db().requests.get(id)) as AccessRequest;
      const activated = await db().requests.transition(approved, {
        to: 'ACTIVE',
        at: w.clock.now(),
        audit: auditOf(approved, 'grant.activated', {
          at: w.clock.now(),
          actor: 'system:worker',
          to: 'ACTIVE',
        }),
      });
      if (!activated.ok) throw new Error('conflict');
      return activated.request;
    }
    /** One run; `waitMs` is how long it may wait for the LookupEvents budget. */
    async function run(waitMs = 10_000) {
      reader.read = 0;
      const result = await sweepGrantActivity(activity, {
        ...SWEEP,
        deadline: new Date(w.clock.now().getTime() + waitMs),
      });
      return { ...result, eventsRead: reader.read };
    }
    async function summaries(id: string): Promise<number> {
      const events = await eventsOf(id, w.clock.now());
      return events.filter((e) => e.type === 'grant.activity-summarised').length;
    }
    const useTrail = (next: ReturnType<typeof trail>) => Object.assign(cloudTrail, next);
    return { ...w, activity, reader, watermarks, endedGrant, activate, run, summaries, useTrail, cloudTrail };
  }

  it('a quiet run reads nothing; a grant deferred in run 1 is summarised in run 2, and nothing twice', async () => {
    const w = world();
    const a = await endedGrant(w, 'oncall1');
    const b = await endedGrant(w, 'oncall2');
    w.clock.advance(3600); // settled
    // oncall1's lookup takes 2 pages: both tokens of the budget; oncall2's would wait 500 ms.
    w.useTrail(trail({ oncall1: 2 }));

    const first = await w.run(0);
    expect(first).toMatchObject({ summarised: [a.id], deferred: [b.id], skipped: [] });
    // No watermark yet: the whole lookback, every event of both grants.
    expect(first.eventsRead).toBe(await eventCount(w.clock.now()));

    w.clock.advance(60);
    const second = await w.run();
    expect(second).toMatchObject({ summarised: [b.id], deferred: [], skipped: [] });
    // Held back to b's end: read from there, not the whole day.
    expect(second.from).toBe(await endOf(w, b.id));
    expect(second.eventsRead).toBeLessThan(first.eventsRead);

    w.clock.advance(90);
    const third = await w.run();
    expect(third).toMatchObject({ summarised: [], deferred: [], skipped: [] });
    // Only what was written within the overlap (the minute before the second run) is read
    // again: the two summaries.
    expect(third.eventsRead).toBe(2);

    // Nothing new since: nothing read, nothing looked up.
    w.clock.advance(60);
    const quiet = await w.run();
    expect(quiet).toMatchObject({ summarised: [], deferred: [], skipped: [], eventsRead: 0 });
    expect(w.cloudTrail.calls).toEqual(['oncall1', 'oncall1', 'oncall2']);
    expect([await w.summaries(a.id), await w.summaries(b.id)]).toEqual([1, 1]);
  });

  it('a failed lookup holds the watermark back: the grant is summarised by a later run', async () => {
    const w = world();
    const a = await endedGrant(w, 'oncall1');
    w.clock.advance(3600);
    w.useTrail(trail({}, new Set(['oncall1'])));
    const failing = await w.run();
    expect(failing.failed).toMatchObject({ requestId: a.id });

    w.clock.advance(3600);
    w.useTrail(trail());
    const next = await w.run();
    expect(next).toMatchObject({ summarised: [a.id] });
    expect(await w.summaries(a.id)).toBe(1);
  });

  it('a grant that ends during a run (not yet settled) is summarised by a later run', async () => {
    const w = world();
    const a = await endedGrant(w, 'oncall1');
    w.useTrail(trail());
    w.clock.advance(300); // ended 5 minutes ago: not settled (15 minutes)
    const early = await w.run();
    expect(early).toMatchObject({ summarised: [], deferred: [] });

    w.clock.advance(3600);
    expect(await w.run()).toMatchObject({ summarised: [a.id] });
    expect(await w.summaries(a.id)).toBe(1);
  });

  it('a grant summarised on demand while live (before the window) is not summarised again when it ends', async () => {
    const w = world();
    const glass = await breakGlassOutage({ ...w.deps, store: db().requests, audit: db().audit });
    const live = await w.activate(glass.id);
    w.useTrail(trail());
    await summariseGrantActivity(w.activity, live.id, {
      deadline: new Date(w.clock.now().getTime() + 10_000),
    });
    w.clock.advance(1800);
    await w.run(); // moves the watermark past the on-demand summary
    w.clock.set(live.endsAt as string);
    const ended = await db().requests.transition((await db().requests.get(live.id)) as AccessRequest, {
      to: 'EXPIRED',
      at: w.clock.now(),
      audit: auditOf(live, 'grant.expired', { at: w.clock.now(), actor: 'system:sweeper', to: 'EXPIRED' }),
    });
    if (!ended.ok) throw new Error('conflict');
    w.clock.advance(3600);
    const run = await w.run();
    expect(run.from).not.toBe(new Date(w.clock.now().getTime() - 86_400_000).toISOString());
    expect(run.summarised).toEqual([]);
    expect(await w.summaries(live.id)).toBe(1);
  });

  it('a lost, corrupt or future watermark falls back to the whole lookback, then is stored again', async () => {
    const w = world();
    await endedGrant(w, 'oncall1');
    w.clock.advance(3600);
    w.useTrail(trail());
    const lookback = () => new Date(w.clock.now().getTime() - 86_400_000).toISOString();
    const put = (item: Record<string, unknown>) =>
      db().doc.send(
        new PutCommand({ TableName: db().names.audit, Item: { ...ACTIVITY_WATERMARK_KEY, ...item } }),
      );

    const lost = await w.run();
    expect(lost.from).toBe(lookback());
    const all = lost.eventsRead;
    expect((await w.watermarks.read()).at).toBeDefined();

    for (const corrupt of [
      { at: 'not a time', version: 7 },
      { at: '2099-01-01T00:00:00.000Z', version: 8 },
      { at: 12, version: 'x' },
    ]) {
      await put(corrupt);
      w.clock.advance(60);
      const run = await w.run();
      expect(run.from).toBe(lookback());
      expect(run.eventsRead).toBeGreaterThanOrEqual(all);
      const stored = await w.watermarks.read();
      expect(stored.at! < w.clock.now().toISOString()).toBe(true);
    }
    w.clock.advance(60);
    expect((await w.run()).from).not.toBe(lookback());
  });

  it('is written conditionally: a run that read an older version does not move it', async () => {
    const w = world();
    const none = await w.watermarks.read();
    expect(none).toEqual({ version: 0 });
    expect(await w.watermarks.advance('2026-11-27T09:00:00.000Z', none)).toBe(true);
    const first = await w.watermarks.read();
    expect(await w.watermarks.advance('2026-11-27T10:00:00.000Z', first)).toBe(true);
    // An overlapping run that read `first` too loses the race.
    expect(await w.watermarks.advance('2026-11-27T08:00:00.000Z', first)).toBe(false);
    expect(await w.watermarks.advance('2026-11-27T08:00:00.000Z', none)).toBe(false);
    expect((await w.watermarks.read()).at).toBe('2026-11-27T10:00:00.000Z');
  });

  function endedGrant(w: ReturnType<typeof world>, principal: string) {
    return w.endedGrant(principal);
  }
  /** The events of the last day (the sweep's lookback), read apart from the counted reader. */
  async function eventCount(now: Date): Promise<number> {
    let count = 0;
    const from = new Date(now.getTime() - 86_400_000).toISOString();
    for await (const event of new DynamoAuditQuery(db().doc, db().names.audit).stream({ from }, now))
      if (event.type !== 'grant.activity-summarised') count++;
    return count;
  }
  /** A request's events, read apart from the counted reader. */
  async function eventsOf(requestId: string, now: Date): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for await (const event of new DynamoAuditQuery(db().doc, db().names.audit).stream({ requestId }, now))
      events.push(event);
    return events;
  }
  async function endOf(w: ReturnType<typeof world>, id: string): Promise<string> {
    const events = await eventsOf(id, w.clock.now());
    return events.find((e) => e.type === 'grant.expired')!.at;
  }
});
