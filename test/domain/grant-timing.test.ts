import { describe, expect, it } from 'vitest';
import { decideCancel } from '../../shared/domain/decision.js';
import { decideExpiryWarning, decideGraceExtension, decideStart } from '../../shared/domain/grant-timing.js';
import { findTarget, type Target } from '../../shared/domain/policy.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { grantRecord } from '../support/fake-aws.js';

const POLICY = parsePolicy(
  `
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1] }
warnBefore: 10m
maxLeadTime: 2d
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h, graceExtension: { max: 30m } }
  - { id: repeat-group, kind: group, groupName: jit-repeat, description: Repeat, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h, graceExtension: { once: false, max: 30m } }
  - { id: plain-group, kind: group, groupName: jit-plain, description: Plain, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h }
`,
  'timing-policy',
);
const NOW = new Date('2026-11-27T10:50:00.000Z');
const target = (id: string) => findTarget(POLICY, id) as Target;
/** An ACTIVE grant 09:00–11:00 (10 minutes left at NOW). */
const active = (fields: Partial<AccessRequest> = {}) =>
  grantRecord({
    id: 'req-1',
    startsAt: '2026-11-27T09:00:00.000Z',
    endsAt: '2026-11-27T11:00:00.000Z',
    status: 'ACTIVE',
    ...fields,
  });

describe('policy settings of the time side', () => {
  it('defaults warnBefore to 10m, maxLeadTime to 7d and offers no grace unless a target says so', () => {
    const bare = parsePolicy(
      `
version: 1
people: { devs: { users: [UDEV1] } }
targets:
  - { id: sandbox, kind: group, groupName: jit-sandbox, description: Sandbox, requesters: [devs], autoApprove: true, defaultDuration: 1h, maxDuration: 2h }
`,
    );
    expect([bare.warnBeforeSeconds, bare.maxLeadTimeSeconds]).toEqual([600, 7 * 86_400]);
    expect(bare.targets[0]?.graceExtension).toBeUndefined();
    expect(target('dev-group').graceExtension).toEqual({ once: true, maxSeconds: 1800 });
  });

  it('refuses a grace budget longer than the target maximum, naming the path', () => {
    expect(() =>
      parsePolicy(`
version: 1
people: { devs: { users: [UDEV1] } }
targets:
  - { id: sandbox, kind: group, groupName: jit-sandbox, description: Sandbox, requesters: [devs], autoApprove: true, defaultDuration: 1h, maxDuration: 2h, graceExtension: { max: 3h } }
`),
    ).toThrow(/targets\[0\]\.graceExtension\.max: "3h" is longer than maxDuration "2h"/);
  });
});

describe('decideStart', () => {
  it.each([
    {
      description: 'no start asked: as soon as approved',
      startsAt: undefined,
      extension: false,
      reason: undefined,
    },
    {
      description: 'a start in an hour',
      startsAt: '2026-11-27T11:50:00.000Z',
      extension: false,
      reason: undefined,
    },
    {
      description: 'exactly the lead time ahead',
      startsAt: '2026-11-29T10:50:00.000Z',
      extension: false,
      reason: undefined,
    },
    {
      description: 'a start in the past is refused',
      startsAt: '2026-11-27T10:49:00.000Z',
      extension: false,
      reason: 'start-in-past',
    },
    {
      description: 'a start now is refused (it is not in the future)',
      startsAt: '2026-11-27T10:50:00.000Z',
      extension: false,
      reason: 'start-in-past',
    },
    {
      description: 'a lead time too long is refused',
      startsAt: '2026-11-29T10:51:00.000Z',
      extension: false,
      reason: 'lead-time-too-long',
    },
    {
      description: 'an extension cannot be scheduled',
      startsAt: '2026-11-27T11:50:00.000Z',
      extension: true,
      reason: 'start-on-extension',
    },
  ])('$description', ({ startsAt, extension, reason }) => {
    const decision = decideStart(
      POLICY,
      { extension, ...(startsAt ? { startsAt: new Date(startsAt) } : {}) },
      NOW,
    );
    if (reason === undefined) {
      expect(decision.allowed).toBe(true);
    } else {
      expect(decision).toMatchObject({ allowed: false, reason, field: 'start' });
    }
  });
});

describe('decideGraceExtension', () => {
  it.each([
    {
      description: 'within budget: allowed, runs on from the end',
      targetId: 'dev-group',
      grant: {},
      seconds: 1800,
      reason: undefined,
    },
    {
      description: 'a target without grace',
      targetId: 'plain-group',
      grant: {},
      seconds: 1800,
      reason: 'no-grace',
    },
    {
      description: 'over the grace budget',
      targetId: 'dev-group',
      grant: {},
      seconds: 1801,
      reason: 'over-grace-budget',
    },
    {
      description: 'past maxDuration from the original start',
      targetId: 'dev-group',
      grant: { startsAt: '2026-11-27T07:29:00.000Z' },
      seconds: 1800,
      reason: 'past-max-duration',
    },
    {
      description: 'past maxDuration from the start of the chain, for an extension',
      targetId: 'dev-group',
      grant: { chainStartsAt: '2026-11-27T07:29:00.000Z', extendsRequestId: 'req-0' },
      seconds: 1800,
      reason: 'past-max-duration',
    },
    {
      description: 'a second grace on the same grant',
      targetId: 'dev-group',
      grant: { graceExtendedBy: 'req-2' },
      seconds: 1800,
      reason: 'grace-used',
    },
    {
      description: 'grace on a grace extension when once',
      targetId: 'dev-group',
      grant: { grace: true },
      seconds: 1800,
      reason: 'grace-used',
    },
    {
      description: 'grace on a grace extension when not once',
      targetId: 'repeat-group',
      grant: { grace: true },
      seconds: 1800,
      reason: undefined,
    },
    {
      description: 'a grant not yet active',
      targetId: 'dev-group',
      grant: { status: 'APPROVED' as const },
      seconds: 1800,
      reason: 'not-live',
    },
    {
      description: 'a grant being ended',
      targetId: 'dev-group',
      grant: { endRequest: { kind: 'release' as const, by: 'UDEV1', at: NOW.toISOString(), reason: 'done' } },
      seconds: 1800,
      reason: 'not-live',
    },
  ])('$description', ({ targetId, grant, seconds, reason }) => {
    const decision = decideGraceExtension(target(targetId), active({ targetId, ...grant }), seconds, NOW);
    if (reason === undefined) {
      expect(decision).toEqual({ allowed: true, endsAt: new Date('2026-11-27T11:30:00.000Z') });
    } else {
      expect(decision).toMatchObject({ allowed: false, reason });
    }
  });
});

describe('decideExpiryWarning', () => {
  it.each([
    { description: '10 minutes left: warn', grant: {}, now: NOW, extended: false, warn: true },
    {
      description: '11 minutes left: not yet',
      grant: {},
      now: new Date('2026-11-27T10:49:00.000Z'),
      extended: false,
      warn: false,
    },
    {
      description: 'already warned',
      grant: { expiryWarnedAt: NOW.toISOString() },
      now: NOW,
      extended: false,
      warn: false,
    },
    { description: 'already followed by a later grant', grant: {}, now: NOW, extended: true, warn: false },
    {
      description: 'not active yet',
      grant: { status: 'APPROVED' as const },
      now: NOW,
      extended: false,
      warn: false,
    },
    {
      description: 'ended already',
      grant: {},
      now: new Date('2026-11-27T11:00:00.000Z'),
      extended: false,
      warn: false,
    },
  ])('$description', ({ grant, now, extended, warn }) => {
    expect(decideExpiryWarning(POLICY, active(grant), now, extended)).toBe(warn);
  });
});

describe('decideCancel of a scheduled grant', () => {
  const scheduled = (startsAt: string) =>
    grantRecord({
      id: 'req-1',
      startsAt,
      endsAt: '2026-11-28T02:00:00.000Z',
      scheduledStartsAt: startsAt,
    });
  it.each([
    {
      description: 'before its start, by its requester',
      startsAt: '2026-11-28T01:00:00.000Z',
      by: 'UDEV1',
      allowed: true,
    },
    {
      description: 'before its start, by someone else',
      startsAt: '2026-11-28T01:00:00.000Z',
      by: 'UDEV2',
      allowed: false,
    },
    {
      description: 'once its start has come (that is a release)',
      startsAt: '2026-11-27T10:50:00.000Z',
      by: 'UDEV1',
      allowed: false,
    },
  ])('$description', ({ startsAt, by, allowed }) => {
    expect(decideCancel(scheduled(startsAt), by, NOW).allowed).toBe(allowed);
  });
});
