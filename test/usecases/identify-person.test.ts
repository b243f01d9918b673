import { describe, expect, it } from 'vitest';
import { parsePerson, slackPerson, type Person } from '../../shared/domain/person.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { PersonDirectory } from '../../shared/domain/ports.js';
import { identifyPerson, resolvePerson } from '../../shared/usecases/identify-person.js';
import { staticPolicy } from '../support/fakes.js';

/** A Slack-only directory that records what it was asked. */
function directory(emails: Record<string, string>, members: Record<string, string[]>) {
  const asked: string[] = [];
  const dir: PersonDirectory = {
    providers: ['slack'],
    async emailOf(person: Person) {
      asked.push(`email ${person.id}`);
      return emails[person.id];
    },
    async groupsOf(person: Person, groups: readonly string[]) {
      asked.push(`groups ${groups.join(',')}`);
      return groups.filter((g) => members[g]?.includes(person.id));
    },
  };
  return { dir, asked };
}

const POLICY = `
version: 1
people:
  devs: { users: [UDEV1], userGroups: [SDEVS] }
  leads: { users: [ULEAD1] }
identities: { ULEAD1: lead.override }
targets:
  - { id: t, kind: group, groupName: g, description: d, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 1h }
`;

describe('identifyPerson / resolvePerson', () => {
  it('resolves a Slack person to the policy groups they are in, without an email lookup', async () => {
    const { dir, asked } = directory({ UDEV2: 'dev2@example.com' }, { SDEVS: ['UDEV2'] });
    const person = await resolvePerson(
      { policy: staticPolicy(parsePolicy(POLICY)), directory: dir },
      slackPerson('UDEV2'),
    );
    expect(person).toEqual({ person: slackPerson('UDEV2'), groups: ['SDEVS'] });
    expect(asked).toEqual(['groups SDEVS']);
  });

  it('maps the AWS identity from the email, or from an override without looking the email up', async () => {
    const { dir, asked } = directory({ UDEV2: 'Dev2@Example.com' }, {});
    const deps = { policy: staticPolicy(parsePolicy(POLICY)), directory: dir };
    expect((await identifyPerson(deps, slackPerson('UDEV2'))).identity).toEqual({
      ok: true,
      principal: 'dev2@example.com',
      source: 'email',
    });
    asked.length = 0;
    const lead = await identifyPerson(deps, slackPerson('ULEAD1'));
    expect(lead.identity).toMatchObject({ principal: 'lead.override', source: 'override' });
    expect(asked).toEqual(['groups SDEVS']);
  });

  it('looks the email up for a decision when a people set names someone by email', async () => {
    const { dir } = directory({ UDEV3: 'dev3@example.com' }, {});
    const policy = staticPolicy(
      parsePolicy(POLICY.replace('leads: { users: [ULEAD1] }', 'leads: { emails: [dev3@example.com] }')),
    );
    const person = await resolvePerson({ policy, directory: dir }, slackPerson('UDEV3'));
    expect(person.email).toBe('dev3@example.com');
  });

  it('knows a person of a provider the directory does not serve by their id alone', async () => {
    const { dir, asked } = directory({}, {});
    const who = await identifyPerson(
      { policy: staticPolicy(parsePolicy(POLICY)), directory: dir },
      parsePerson('oidc:alice'),
    );
    expect(who.person).toEqual({ person: parsePerson('oidc:alice'), groups: [] });
    expect(who.identity).toMatchObject({ ok: false, reason: 'no-email' });
    expect(asked).toEqual([]);
  });
});
