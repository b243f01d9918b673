import { describe, expect, it } from 'vitest';
import {
  MAX_INLINE_POLICY_CHARS,
  sealPolicy,
  sealSid,
} from '../../../shared/targets/permission-set/session-seal.js';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const USER = '9067-4a1b-user';
const seal = (before: string, accountId = '111122223333', userId = USER) => ({
  userId,
  accountId,
  before: new Date(before),
});

describe('the session seal of a permission set', () => {
  it('adds a deny-everything statement for the user in the account, for sessions issued before the end', () => {
    const sealed = sealPolicy(undefined, seal('2026-11-27T10:00:00.000Z'), {
      now: NOW,
      sessionSeconds: 3600,
    });
    expect(sealed).toMatchObject({ changed: true, pruned: 0, full: false });
    expect(JSON.parse(sealed.document!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'JitSeal11112222333390674a1buser',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: {
            StringEquals: { 'identitystore:UserId': USER, 'aws:PrincipalAccount': '111122223333' },
            DateLessThan: { 'aws:TokenIssueTime': '2026-11-27T10:00:00.000Z' },
          },
        },
      ],
    });
  });

  it('keeps the statements it does not own, and moves a seal only forward in time', () => {
    const own = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'ReadOnly', Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
    });
    const first = sealPolicy(own, seal('2026-11-27T09:50:00.000Z'), { now: NOW, sessionSeconds: 3600 });
    const doc = JSON.parse(first.document!) as { Statement: { Sid: string }[] };
    expect(doc.Statement.map((s) => s.Sid)).toEqual(['ReadOnly', sealSid(USER, '111122223333')]);
    const earlier = sealPolicy(first.document, seal('2026-11-27T09:00:00.000Z'), {
      now: NOW,
      sessionSeconds: 3600,
    });
    expect(earlier.changed).toBe(false);
    const later = sealPolicy(first.document, seal('2026-11-27T09:59:00.000Z'), {
      now: NOW,
      sessionSeconds: 3600,
    });
    expect(later.document).toContain('2026-11-27T09:59:00.000Z');
    expect(later.document).not.toContain('2026-11-27T09:50:00.000Z');
  });

  it('prunes seals older than the session duration, and deletes the policy when nothing is left', () => {
    const old = sealPolicy(undefined, seal('2026-11-27T08:00:00.000Z'), { now: NOW, sessionSeconds: 3600 });
    // Written at 08:00 it still counts at 08:30 (a session of an hour may be alive)...
    const early = sealPolicy(old.document, undefined, {
      now: new Date('2026-11-27T08:30:00.000Z'),
      sessionSeconds: 3600,
    });
    expect(early).toMatchObject({ changed: false, pruned: 0 });
    // ...and no longer at 10:00: it is dropped and the inline policy goes.
    expect(sealPolicy(old.document, undefined, { now: NOW, sessionSeconds: 3600 })).toEqual({
      document: undefined,
      changed: true,
      pruned: 1,
      full: false,
    });
  });

  it('reports a full inline policy instead of passing its size limit', () => {
    let document: string | undefined;
    let n = 0;
    for (;;) {
      const next = sealPolicy(document, seal('2026-11-27T09:59:00.000Z', '111122223333', `user-${n++}`), {
        now: NOW,
        sessionSeconds: 3600,
      });
      if (next.full) {
        expect(next.document).toBe(document);
        break;
      }
      document = next.document;
    }
    expect(document!.length).toBeLessThanOrEqual(MAX_INLINE_POLICY_CHARS);
    expect(n).toBeGreaterThan(50);
  });
});
