import { describe, expect, it } from 'vitest';
import { slackPerson, type ResolvedPerson } from '../../shared/domain/person.js';
import { securitySets } from '../../shared/domain/policy.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { decideRevoke, decideRevokeAll, isSecurity } from '../../shared/domain/revocation.js';
import { grantRecord } from '../support/fake-aws.js';

const POLICY = `
version: 1
people:
  devs: { users: [UDEV1, UDEV2] }
  leads: { users: [ULEAD1], userGroups: [SLEADS] }
  security: { users: [USEC1] }
  ir: { users: [UIR1] }
breakGlass: { responders: [devs], reviewers: [security], securityChannel: CSEC1 }
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h }
`;
const policy = parsePolicy(POLICY, 'revocation-test');
const withIr = parsePolicy(`${POLICY}security: [ir]\n`, 'revocation-test-ir');

const who = (userId: string, groups: string[] = []): ResolvedPerson => ({
  person: slackPerson(userId),
  groups,
});
const grant = (fields: Partial<AccessRequest> = {}) =>
  grantRecord({
    id: 'req-1',
    status: 'ACTIVE',
    startsAt: '2026-11-27T09:00:00.000Z',
    endsAt: '2026-11-27T10:00:00.000Z',
    ...fields,
  });

describe('decideRevoke', () => {
  it.each([
    {
      description: 'an approver of the target, with a reason',
      person: who('ULEAD1'),
      reason: 'left the team',
      expected: { allowed: true, as: 'approver' },
    },
    {
      description: 'an approver through a Slack user group',
      person: who('ULEAD9', ['SLEADS']),
      reason: 'x',
      expected: { allowed: true, as: 'approver' },
    },
    {
      description: 'the security set (break-glass reviewers by default)',
      person: who('USEC1'),
      reason: 'incident',
      expected: { allowed: true, as: 'security' },
    },
    {
      description: 'before the reason form opens (no reason yet)',
      person: who('ULEAD1'),
      reason: undefined,
      expected: { allowed: true, as: 'approver' },
    },
    {
      description: 'another requester: refused',
      person: who('UDEV2'),
      reason: 'x',
      expected: { allowed: false, reason: 'not-a-revoker' },
    },
    {
      description: 'a blank reason: refused',
      person: who('ULEAD1'),
      reason: '   ',
      expected: { allowed: false, reason: 'reason-required' },
    },
    {
      description: 'a reason with terminal escapes: refused',
      person: who('USEC1'),
      reason: 'ok\u001b[8m',
      expected: { allowed: false, reason: 'reason-invalid' },
    },
  ])('$description', ({ person, reason, expected }) => {
    expect(decideRevoke(policy, grant(), person, reason)).toMatchObject(expected);
  });

  it.each([
    { description: 'an ended grant', fields: { status: 'EXPIRED' as const }, expected: 'not-live' },
    {
      description: 'a pending request (deny it instead)',
      fields: { status: 'PENDING' as const },
      expected: 'not-live',
    },
  ])('refuses $description', ({ fields, expected }) => {
    expect(decideRevoke(policy, grant(fields), who('USEC1'), 'x')).toMatchObject({
      allowed: false,
      reason: expected,
    });
  });

  it('a grant whose target left the policy: only security may end it', () => {
    const orphan = grant({ targetId: 'gone' });
    expect(decideRevoke(policy, orphan, who('ULEAD1'), 'x')).toMatchObject({
      allowed: false,
      reason: 'not-a-revoker',
    });
    expect(decideRevoke(policy, orphan, who('USEC1'), 'x')).toMatchObject({ allowed: true, as: 'security' });
  });

  it('an explicit security set replaces the break-glass reviewers', () => {
    expect(securitySets(withIr)).toEqual(['ir']);
    expect(isSecurity(withIr, who('UIR1'))).toBe(true);
    expect(isSecurity(withIr, who('USEC1'))).toBe(false);
    expect(decideRevoke(withIr, grant(), who('USEC1'), 'x')).toMatchObject({ allowed: false });
  });
});

describe('decideRevokeAll', () => {
  it.each([
    {
      description: 'the security set may',
      person: who('USEC1'),
      reason: 'compromised laptop',
      expected: { allowed: true },
    },
    {
      description: 'an approver may not (incident response only)',
      person: who('ULEAD1'),
      reason: 'x',
      expected: { allowed: false, reason: 'not-security' },
    },
    {
      description: 'security without a reason is asked for one',
      person: who('USEC1'),
      reason: '',
      expected: { allowed: false, reason: 'reason-required' },
    },
  ])('$description', ({ person, reason, expected }) => {
    expect(decideRevokeAll(policy, person, reason)).toMatchObject(expected);
  });
});

describe('the security policy setting', () => {
  it('refuses a security set that is not defined under people', () => {
    expect(() => parsePolicy(`${POLICY}security: [nobody]\n`, 'bad')).toThrow(
      /security\[0\]: "nobody" is not a set/,
    );
  });
});
