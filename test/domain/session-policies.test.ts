import { describe, expect, it } from 'vitest';
import {
  coversRevoke,
  iamDate,
  parsePolicyDocument,
  policyJson,
  pruneRevokes,
  revokeSid,
  revokeStatement,
  roleNameFromArn,
  roleSessionName,
  sessionDurationSeconds,
  sessionPolicy,
  sessionTags,
  withRevoke,
  type PolicyDocument,
} from '../../shared/domain/session-policies.js';

const at = (iso: string) => new Date(iso);

describe('sessionPolicy', () => {
  it('allows the role only while aws:CurrentTime is before the grant end, to the second', () => {
    expect(sessionPolicy(at('2026-11-27T10:30:00.750Z'))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'JitGrantWindow',
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:CurrentTime': '2026-11-27T10:30:00Z' } },
        },
      ],
    });
  });
});

describe('sessionDurationSeconds', () => {
  const now = at('2026-11-27T09:00:00Z');
  it.each([
    {
      description: 'what remains, when between the STS minimum and the role maximum',
      end: '2026-11-27T09:40:00Z',
      max: 3600,
      expected: 2400,
    },
    {
      description: 'raised to the STS minimum of 900 s when less remains',
      end: '2026-11-27T09:05:00Z',
      max: 3600,
      expected: 900,
    },
    {
      description: 'capped by the role maximum session duration',
      end: '2026-11-27T13:00:00Z',
      max: 3600,
      expected: 3600,
    },
    {
      description: 'a single second left still yields the STS minimum',
      end: '2026-11-27T09:00:01Z',
      max: 3600,
      expected: 900,
    },
  ])('$description', ({ end, max, expected }) => {
    expect(sessionDurationSeconds(now, at(end), max)).toBe(expected);
  });
  it('refuses when the grant has ended', () => {
    expect(() => sessionDurationSeconds(now, now, 3600)).toThrow(/ended/);
  });
});

describe('roleSessionName', () => {
  it.each([
    {
      description: 'names the requester and the grant',
      principal: 'alice',
      id: '01JABC',
      expected: 'alice@01JABC',
    },
    {
      description: 'replaces characters STS refuses',
      principal: 'bob smith/ops',
      id: 'g1',
      expected: 'bob-smith-ops@g1',
    },
    {
      description: 'shortens the principal, never the grant id, to 64 characters',
      principal: 'x'.repeat(80),
      id: '01JD8Z6Q4W3Y2N1M0K9H8G7F6E',
      expected: `${'x'.repeat(37)}@01JD8Z6Q4W3Y2N1M0K9H8G7F6E`,
    },
  ])('$description', ({ principal, id, expected }) => {
    const name = roleSessionName(principal, id);
    expect(name).toBe(expected);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('sessionTags', () => {
  it('tags the grant id, the AWS identity and the Slack user', () => {
    expect(sessionTags({ grantId: 'req-1', principal: 'alice', requester: 'UDEV1' })).toEqual([
      { Key: 'jit-grant-id', Value: 'req-1' },
      { Key: 'jit-requester', Value: 'alice' },
      { Key: 'jit-slack-user', Value: 'UDEV1' },
    ]);
  });
});

describe('roleNameFromArn', () => {
  it.each([
    { arn: 'arn:aws:iam::111122223333:role/jit/ProdOperator', expected: 'ProdOperator' },
    { arn: 'arn:aws:iam::111122223333:role/Auditor', expected: 'Auditor' },
  ])('$arn → $expected', ({ arn, expected }) => expect(roleNameFromArn(arn)).toBe(expected));
  it('refuses a non-role ARN', () => {
    expect(() => roleNameFromArn('arn:aws:iam::111122223333:group/jit/devs')).toThrow(/not an IAM role ARN/);
  });
});

describe('revoke deny policy', () => {
  const window = { maxSessionSeconds: 3600, marginSeconds: 300 };
  const t0 = at('2026-11-27T09:00:00Z');

  it('denies every action of that SourceIdentity for tokens issued before the revoke', () => {
    expect(revokeStatement('alice', t0)).toEqual({
      Sid: revokeSid('alice'),
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        DateLessThan: { 'aws:TokenIssueTime': '2026-11-27T09:00:00Z' },
        StringEquals: { 'aws:SourceIdentity': 'alice' },
      },
    });
    expect(revokeSid('alice')).toMatch(/^[A-Za-z0-9]+$/);
    expect(revokeSid('alice')).not.toBe(revokeSid('bob'));
  });

  it('adds one statement per person to an empty or missing policy', () => {
    const doc = withRevoke(undefined, { principal: 'alice', before: t0 }, t0, window);
    const doc2 = withRevoke(doc, { principal: 'bob', before: t0 }, t0, window);
    expect(doc2.Statement.map((s) => s.Condition?.StringEquals?.['aws:SourceIdentity'])).toEqual([
      'alice',
      'bob',
    ]);
  });

  it('moves a person’s revoke time forward, never back', () => {
    const later = at('2026-11-27T09:10:00Z');
    const first = withRevoke(undefined, { principal: 'alice', before: later }, later, window);
    const earlier = withRevoke(first, { principal: 'alice', before: t0 }, later, window);
    expect(earlier.Statement).toHaveLength(1);
    expect(earlier.Statement[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime']).toBe(iamDate(later));
    const again = withRevoke(
      first,
      { principal: 'alice', before: at('2026-11-27T09:20:00Z') },
      later,
      window,
    );
    expect(again.Statement[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime']).toBe('2026-11-27T09:20:00Z');
  });

  it.each([
    {
      description: 'kept while a session issued just before the revoke may still be valid',
      now: '2026-11-27T10:04:59Z',
      kept: true,
    },
    {
      description: 'pruned once max session + margin have passed since the revoke',
      now: '2026-11-27T10:05:00Z',
      kept: false,
    },
  ])('a revoke statement is $description', ({ now, kept }) => {
    const doc = withRevoke(undefined, { principal: 'alice', before: t0 }, t0, window);
    expect(pruneRevokes(doc, at(now), window) !== undefined).toBe(kept);
  });

  it('keeps statements the broker did not write, and prunes only its own', () => {
    const foreign = { Sid: 'OperatorGuard', Effect: 'Deny' as const, Action: 'iam:*', Resource: '*' };
    const doc: PolicyDocument = { Version: '2012-10-17', Statement: [foreign, revokeStatement('alice', t0)] };
    expect(pruneRevokes(doc, at('2026-11-28T00:00:00Z'), window)?.Statement).toEqual([foreign]);
  });

  it('drops stale statements of other people while adding a new revoke', () => {
    const old = withRevoke(undefined, { principal: 'bob', before: t0 }, t0, window);
    const now = at('2026-11-27T12:00:00Z');
    const doc = withRevoke(old, { principal: 'alice', before: now }, now, window);
    expect(doc.Statement.map((s) => s.Sid)).toEqual([revokeSid('alice')]);
  });

  it('tells whether a stored document covers a revoke', () => {
    const doc = withRevoke(undefined, { principal: 'alice', before: t0 }, t0, window);
    expect(coversRevoke(doc, { principal: 'alice', before: t0 })).toBe(true);
    expect(coversRevoke(doc, { principal: 'alice', before: at('2026-11-27T09:00:01Z') })).toBe(false);
    expect(coversRevoke(doc, { principal: 'bob', before: t0 })).toBe(false);
    expect(coversRevoke(undefined, { principal: 'alice', before: t0 })).toBe(false);
  });

  it('reads a stored document with a single statement object', () => {
    const doc = parsePolicyDocument(
      JSON.stringify({ Version: '2012-10-17', Statement: revokeStatement('alice', t0) }),
    );
    expect(doc.Statement).toHaveLength(1);
  });

  it('refuses a document over IAM’s inline policy size', () => {
    let doc: PolicyDocument | undefined;
    for (let i = 0; i < 60; i++) doc = withRevoke(doc, { principal: `user-${i}`, before: t0 }, t0, window);
    expect(() => policyJson(doc as PolicyDocument)).toThrow(/over IAM/);
  });
});
