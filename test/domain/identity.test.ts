import { describe, expect, it } from 'vitest';
import { mapIdentity, referencedUserGroups } from '../../shared/domain/identity.js';
import type { Person } from '../../shared/domain/person.js';

/** A Slack person built directly: the short ids of these rows are not validated here. */
const slack = (id: string): Person => ({ provider: 'slack', id });

const policy = { identities: { UOVERRIDE1: 'ext.auditor' }, identityEmailDomain: 'Example.com' };

describe('mapIdentity', () => {
  it.each([
    {
      description: 'an override wins over the email',
      user: 'UOVERRIDE1',
      email: 'x@other.org',
      expected: { ok: true, principal: 'ext.auditor', source: 'override' },
    },
    {
      description: 'an email maps lower-cased (IAM names are case-insensitive)',
      user: 'U1',
      email: ' Jane.Doe@EXAMPLE.com ',
      expected: { ok: true, principal: 'jane.doe@example.com', source: 'email' },
    },
    {
      description: 'no email is a clear refusal',
      user: 'U1',
      email: undefined,
      expected: { ok: false, reason: 'no-email' },
    },
    {
      description: 'an email outside the domain is refused',
      user: 'U1',
      email: 'jane@example.com.evil.org',
      expected: { ok: false, reason: 'wrong-domain' },
    },
    {
      description: 'an email too long for an AWS identity is refused',
      user: 'U1',
      email: `${'a'.repeat(60)}@example.com`,
      expected: { ok: false, reason: 'unusable-email' },
    },
    {
      description: 'an email with characters AWS refuses is refused',
      user: 'U1',
      email: 'jane doe@example.com',
      expected: { ok: false, reason: 'unusable-email' },
    },
  ])('$description', ({ user, email, expected }) => {
    expect(mapIdentity(policy, slack(user), email)).toMatchObject(expected);
  });

  it('accepts any domain when the policy sets none', () => {
    expect(mapIdentity({ identities: {} }, slack('U1'), 'a@b.org')).toEqual({
      ok: true,
      principal: 'a@b.org',
      source: 'email',
    });
  });

  it('refusals carry a message for the person, naming what to do', () => {
    const result = mapIdentity(policy, slack('U1'), undefined);
    expect(result.ok === false && result.message).toMatch(/administrator/);
  });
});

describe('referencedUserGroups', () => {
  it('lists each user group of every people set once', () => {
    expect(
      referencedUserGroups({
        people: {
          a: { users: ['U1'], userGroups: ['S2', 'S1'], emails: [], idpGroups: [] },
          b: { users: [], userGroups: ['S1'], emails: [], idpGroups: [] },
        },
      }),
    ).toEqual(['S1', 'S2']);
  });
});
