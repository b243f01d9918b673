import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../shared/domain/errors.js';
import { parsePerson, slackPerson } from '../../shared/domain/person.js';
import {
  requestableTargets,
  isResponder,
  expandSets,
  findTarget,
  isInSets,
} from '../../shared/domain/policy.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import {
  EXAMPLE_POLICY_PATH,
  loadPolicyFile,
  MAX_POLICY_FILE_BYTES,
} from '../../shared/config/policy-file.js';
import { parse as parsePolicyInput } from 'yaml';
import { largePolicyYaml } from '../support/large-policy.js';

const VALID = `
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1] }
targets:
  - id: dev-group
    kind: group
    groupName: jit-developers
    description: Developers
    requesters: [devs]
    approvers: [leads]
    defaultDuration: 1h
    maxDuration: 8h
`;

/** VALID with a ticket rule using `pattern` on its target. */
function withTicketPattern(pattern: string): string {
  // A replacer function: a pattern ending in `$` would otherwise form the `$'` replacement token.
  return VALID.replace(
    'maxDuration: 8h',
    () => `maxDuration: 8h\n    requireTicket: true\n    ticketPattern: '${pattern}'`,
  );
}

/** Parses `text` and returns the issues of the PolicyError it must raise. */
function issuesOf(text: string): readonly string[] {
  try {
    parsePolicy(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues;
  }
  throw new Error('the policy was accepted');
}

describe('the access policy file', () => {
  it('loads the shipped example clean, frozen, with durations in seconds', () => {
    const policy = loadPolicyFile(EXAMPLE_POLICY_PATH);
    expect(policy.targets.map((t) => t.id)).toEqual([
      'developers',
      'testers',
      'operators',
      'prod-operator',
      'auditor',
      'break-glass-admin',
      'shop-admin',
      'ic-prod-ops',
    ]);
    expect(policy.targets.find((t) => t.id === 'shop-admin')).toMatchObject({
      kind: 'permission-set',
      accounts: ['444455556666', '777788889999'],
    });
    expect(policy.targets.find((t) => t.id === 'prod-operator')).toMatchObject({
      kind: 'role',
      approvalsRequired: 2,
      maxDurationSeconds: 4 * 3600,
      defaultDurationSeconds: 3600,
      selfApproval: false,
    });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.targets[0])).toBe(true);
  });

  it('accepts a minimal policy and applies defaults', () => {
    const policy = parsePolicy(VALID);
    expect(policy.targets[0]).toMatchObject({
      approvalsRequired: 1,
      selfApproval: false,
      requireReason: true,
      autoApprove: false,
    });
    expect(policy.approvalTimeoutSeconds).toBe(24 * 3600);
  });

  it.each([
    {
      description: 'a bad duration names the target index and field',
      text: VALID.replace('maxDuration: 8h', 'maxDuration: 90x'),
      expected: 'targets[0].maxDuration: "90x" is not a duration (try 15m, 1h or 1h30m)',
    },
    {
      description: 'a default above the maximum',
      text: VALID.replace('defaultDuration: 1h', 'defaultDuration: 9h'),
      expected: 'targets[0].defaultDuration: "9h" is longer than maxDuration "8h"',
    },
    {
      description: 'an unknown key is rejected',
      text: VALID.replace('    maxDuration: 8h', '    maxDuration: 8h\n    maxDurration: 2h'),
      expected: 'targets[0]: Unrecognized key: "maxDurration"',
    },
    {
      description: 'a role target without a role ARN',
      text: VALID.replace('kind: group', 'kind: role').replace(
        'groupName: jit-developers',
        'roleArn: jit-developers',
      ),
      expected: 'targets[0].roleArn: is not an IAM role ARN',
    },
    {
      description: 'a group target without a group name',
      text: VALID.replace('    groupName: jit-developers\n', ''),
      expected: 'targets[0].groupName: Invalid input: expected string, received undefined',
    },
    {
      description: 'approvers that are not defined',
      text: VALID.replace('approvers: [leads]', 'approvers: [managers]'),
      expected: 'targets[0].approvers[0]: "managers" is not a set defined under people',
    },
    {
      description: 'a target that needs approval but names no approver',
      text: VALID.replace('approvers: [leads]', 'approvers: []'),
      expected: 'targets[0].approvers: a target without autoApprove needs at least one approver set',
    },
    {
      description: 'break-glass without responders defined',
      text: VALID.replace('maxDuration: 8h', 'maxDuration: 8h\n    breakGlass: true'),
      expected:
        'targets[0].breakGlass: is true but the policy has no breakGlass section (responders, reviewers, securityChannel)',
    },
    {
      description: 'responders that are not defined',
      text: `${VALID}breakGlass: { responders: [firefighters], reviewers: [leads], securityChannel: CSEC1 }\n`,
      expected: 'breakGlass.responders[0]: "firefighters" is not a set defined under people',
    },
    {
      description: 'a Slack id that is not one',
      text: VALID.replace('users: [UDEV1]', 'users: [dev1]'),
      expected: 'people.devs.users[0]: is not a Slack user id (U…)',
    },
    {
      description: 'a role session shorter than STS allows (15 minutes)',
      text: VALID.replace('kind: group', 'kind: role').replace(
        'groupName: jit-developers',
        'roleArn: arn:aws:iam::123456789012:role/jit-dev\n    maxSessionDuration: 14m',
      ),
      expected: 'targets[0].maxSessionDuration: "14m" is outside what STS allows (15m to 12h)',
    },
    {
      description: 'a role session longer than STS allows (12 hours)',
      text: VALID.replace('kind: group', 'kind: role').replace(
        'groupName: jit-developers',
        'roleArn: arn:aws:iam::123456789012:role/jit-dev\n    maxSessionDuration: 12h1m',
      ),
      expected: 'targets[0].maxSessionDuration: "12h1m" is outside what STS allows (15m to 12h)',
    },
    {
      description: 'a reminder due when the request has already timed out',
      text: `${VALID}approvalTimeout: 1h\nrenotifyAfter: 1h\n`,
      expected:
        'renotifyAfter: "1h" is not shorter than approvalTimeout "1h" (the reminder could never be sent)',
    },
    {
      description: 'a reminder due after the timeout (the default 1h reminder with a 30m timeout)',
      text: `${VALID}approvalTimeout: 30m\n`,
      expected:
        'renotifyAfter: "1h" is not shorter than approvalTimeout "30m" (the reminder could never be sent)',
    },
    {
      description: 'a ticket pattern with nested repetition (exponential backtracking)',
      text: withTicketPattern('^(a+)+$'),
      expected:
        'targets[0].ticketPattern: "^(a+)+$" may take exponential time (catastrophic backtracking); use a pattern without nested repetition',
    },
    {
      description: 'a ticket pattern with a repeated group of a repetition',
      text: withTicketPattern('^([A-Z]+-?)*$'),
      expected: 'targets[0].ticketPattern: "^([A-Z]+-?)*$" may take exponential time',
    },
    {
      description: 'a ticket pattern that does not compile',
      text: withTicketPattern('^(OPS-[0-9]+$'),
      expected: 'targets[0].ticketPattern: "^(OPS-[0-9]+$" is not a valid regular expression',
    },
    {
      description: 'an over-long ticket pattern',
      text: withTicketPattern(`^(${Array.from({ length: 60 }, (_, i) => `P${i}`).join('|')})-[0-9]+$`),
      expected: 'targets[0].ticketPattern: is longer than 200 characters',
    },
    {
      description: 'a group grant longer than a week',
      text: VALID.replace('maxDuration: 8h', 'maxDuration: 99999d'),
      expected: 'targets[0].maxDuration: "99999d" is longer than a group grant may last (at most 7d)',
    },
    {
      description: 'a group grant of a week and a minute',
      text: VALID.replace('maxDuration: 8h', 'maxDuration: 7d1m'),
      expected: 'targets[0].maxDuration: "7d1m" is longer than a group grant may last (at most 7d)',
    },
    {
      description: 'more approvals than the approver sets hold people',
      text: VALID.replace('approvers: [leads]', 'approvers: [leads]\n    approvalsRequired: 2'),
      expected:
        'targets[0].approvalsRequired: 2 approvals are required but the approver sets hold 1 distinct person, so no request could ever be approved',
    },
    {
      description:
        'more approvals than the distinct people of several sets (a person in two sets counts once)',
      text: VALID.replace(
        'leads: { users: [ULEAD1] }',
        'leads: { users: [ULEAD1] }\n  backup: { users: [ULEAD1, UDEV1] }',
      ).replace('approvers: [leads]', 'approvers: [leads, backup]\n    approvalsRequired: 3'),
      expected:
        'targets[0].approvalsRequired: 3 approvals are required but the approver sets hold 2 distinct people',
    },
    {
      description: 'every requester is an approver and cannot approve their own request',
      text: VALID.replace('leads: { users: [ULEAD1] }', 'leads: { users: [ULEAD1, ULEAD2] }')
        .replace('requesters: [devs]', 'requesters: [leads]')
        .replace('approvers: [leads]', 'approvers: [leads]\n    approvalsRequired: 2'),
      expected:
        'targets[0].approvalsRequired: 2 approvals are required but every requester is one of the 2 approvers and may not approve their own request (selfApproval is false)',
    },
    {
      description: 'two Slack users mapped to one AWS identity (compared case-insensitively)',
      text: `${VALID}identities:\n  UDEV1: alice\n  ULEAD1: Alice\n`,
      expected:
        'identities.ULEAD1: "Alice" is already the AWS identity of UDEV1 (identities compare case-insensitively)',
    },
    {
      description: 'a key given twice (the second would silently replace the first)',
      text: VALID.replace('approvers: [leads]', 'approvers: [leads]\n    approvers: [devs]'),
      expected: 'targets[0].approvers: is defined twice',
    },
    {
      description: 'a description carrying an ANSI escape',
      text: VALID.replace('description: Developers', 'description: "Developers\\e[2J"'),
      expected: 'targets[0].description: the text contains an invisible control character (U+001B)',
    },
    {
      description: 'text that is not YAML',
      text: 'version: [1',
      expected: '(root): not valid YAML or JSON',
    },
  ])('reports $description with its path and reason', ({ text, expected }) => {
    const issues = issuesOf(text);
    expect(issues.some((i) => i.startsWith(expected))).toBe(true);
  });

  it.each([
    { description: 'the shortest session STS allows', session: '15m', seconds: 900 },
    { description: 'the longest session STS allows', session: '12h', seconds: 12 * 3600 },
  ])('accepts a role target with $description', ({ session, seconds }) => {
    const policy = parsePolicy(
      VALID.replace('kind: group', 'kind: role').replace(
        'groupName: jit-developers',
        `roleArn: arn:aws:iam::123456789012:role/jit-dev\n    maxSessionDuration: ${session}`,
      ),
    );
    expect(policy.targets[0]).toMatchObject({ kind: 'role', maxSessionDurationSeconds: seconds });
  });

  it('accepts a reminder due just before the timeout', () => {
    const policy = parsePolicy(`${VALID}approvalTimeout: 1h\nrenotifyAfter: 59m\n`);
    expect([policy.renotifyAfterSeconds, policy.approvalTimeoutSeconds]).toEqual([59 * 60, 3600]);
  });

  it.each([
    {
      description: 'a safe ticket pattern with alternation',
      text: withTicketPattern('^(OPS|INC)-[0-9]+$'),
    },
    {
      description: 'a group grant of exactly a week',
      text: VALID.replace('maxDuration: 8h', 'maxDuration: 7d'),
    },
    {
      description: 'a role grant longer than a week (its sessions are capped by STS instead)',
      text: VALID.replace('kind: group', 'kind: role')
        .replace('groupName: jit-developers', 'roleArn: arn:aws:iam::123456789012:role/jit-dev')
        .replace('maxDuration: 8h', 'maxDuration: 14d'),
    },
    {
      description: 'more approvals than listed users when a user group may hold more',
      text: VALID.replace(
        'leads: { users: [ULEAD1] }',
        'leads: { users: [ULEAD1], userGroups: [SLEADS] }',
      ).replace('approvers: [leads]', 'approvers: [leads]\n    approvalsRequired: 2'),
    },
    {
      description: 'as many approvals as approvers when the requesters are other people',
      text: VALID.replace('leads: { users: [ULEAD1] }', 'leads: { users: [ULEAD1, ULEAD2] }').replace(
        'approvers: [leads]',
        'approvers: [leads]\n    approvalsRequired: 2',
      ),
    },
    {
      description: 'every requester an approver, with self-approval allowed',
      text: VALID.replace('leads: { users: [ULEAD1] }', 'leads: { users: [ULEAD1, ULEAD2] }')
        .replace('requesters: [devs]', 'requesters: [leads]')
        .replace(
          'approvers: [leads]',
          'approvers: [leads]\n    approvalsRequired: 2\n    selfApproval: true',
        ),
    },
    {
      description: 'an auto-approved target whose approvals count is never used',
      text: VALID.replace(
        'approvers: [leads]',
        'approvers: [leads]\n    approvalsRequired: 5\n    autoApprove: true',
      ),
    },
    {
      description: 'distinct identities, and one identity per user',
      text: `${VALID}identities:\n  UDEV1: alice\n  ULEAD1: alicia\n`,
    },
  ])('accepts $description', ({ text }) => {
    expect(() => parsePolicy(text)).not.toThrow();
  });

  it('loads a policy of 5,000 targets completely and correctly', () => {
    const policy = parsePolicy(largePolicyYaml({ targets: 5000 }), 'large.yaml');
    expect(policy.targets).toHaveLength(5000);
    expect(Object.keys(policy.identities)).toHaveLength(1000);
    expect(findTarget(policy, 'target-4999')).toMatchObject({
      kind: 'role',
      roleArn: 'arn:aws:iam::111122223333:role/jit/Role4999',
      requesters: ['team-99'],
      approvers: ['team-0'],
      maxDurationSeconds: 4 * 3600,
    });
    expect(findTarget(policy, 'target-4998')).toMatchObject({ kind: 'group', groupName: 'jit-group-4998' });
    expect(Object.isFrozen(policy.targets[4999])).toBe(true);
  });

  it('reports a duplicate key deep inside a large policy by its path', () => {
    const text = largePolicyYaml({ targets: 500 }).replace(
      '  - id: target-432\n',
      '  - id: target-432\n    description: again\n',
    );
    expect(issuesOf(text)).toContain('targets[432].description: is defined twice');
  });

  it('reads anchors and aliases (the thorough reader) to the same policy as the text written out', () => {
    const withAliases = `${VALID.replace('requesters: [devs]', 'requesters: &who [devs]')}  - id: dev-group-2
    kind: group
    groupName: jit-developers-2
    description: Developers again
    requesters: *who
    approvers: [leads]
    defaultDuration: 1h
    maxDuration: 8h
`;
    const written = withAliases.replace('&who ', '').replace('*who', '[devs]');
    expect(withAliases).toContain('*who');
    expect(parsePolicy(withAliases)).toEqual(parsePolicy(written));
  });

  it('reads the same policy from JSON as from YAML, and names a duplicate JSON key by its path', () => {
    const json = JSON.stringify(parsePolicyInput(VALID));
    expect(parsePolicy(json)).toEqual(parsePolicy(VALID));
    const duplicated = json.replace(
      '"groupName":"jit-developers"',
      '"groupName":"jit-developers","groupName":"x"',
    );
    expect(issuesOf(duplicated)).toContain('targets[0].groupName: is defined twice');
  });

  it('keeps date-like and yes/no words as text (YAML 1.2 core schema, no timestamps)', () => {
    const policy = parsePolicy(VALID.replace('description: Developers', 'description: 2026-01-01'));
    expect(findTarget(policy, 'dev-group')?.description).toBe('2026-01-01');
  });

  it('refuses a policy file over the size cap before reading it, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-test-'));
    try {
      const path = join(dir, 'huge.yaml');
      writeFileSync(path, `${VALID}# ${'x'.repeat(MAX_POLICY_FILE_BYTES)}\n`);
      expect(() => loadPolicyFile(path)).toThrow(PolicyError);
      expect(() => loadPolicyFile(path)).toThrow(
        new RegExp(
          `huge\\.yaml:\\n  \\(file\\): is \\d+ bytes; a policy file may be at most ${MAX_POLICY_FILE_BYTES} bytes`,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails to load a broken file, naming the file', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(/\/nonexistent\/policy\.yaml/);
  });

  it('answers who may request, respond and approve', () => {
    const policy = loadPolicyFile(EXAMPLE_POLICY_PATH);
    expect(
      requestableTargets(policy, { person: slackPerson('U0QA000001'), groups: [] }).map((t) => t.id),
    ).toEqual(['testers']);
    expect(isResponder(policy, { person: slackPerson('U0X'), groups: ['S0ONCALL01'] })).toBe(true);
    expect(isResponder(policy, { person: slackPerson('U0DEV00002'), groups: [] })).toBe(false);
    expect(expandSets(policy, ['leads', 'security']).users).toHaveLength(5);
  });
});

describe('people sets beyond Slack ids', () => {
  const people = parsePolicy(`
version: 1
people:
  devs: { users: [U0DEV00001, "slack:U0DEV00002", "oidc:carol@example.com"] }
  by-email: { emails: [Alice@Example.com] }
  platform: { idpGroups: [platform-engineers] }
  slack-leads: { userGroups: [S0LEADS001] }
identities:
  "slack:U0DEV00002": bob
  "oidc:carol@example.com": carol
targets:
  - { id: t, kind: group, groupName: g, description: d, requesters: [devs, by-email, platform, slack-leads], approvers: [devs], defaultDuration: 1h, maxDuration: 1h }
`);
  const slack = (id: string, groups: string[] = [], email?: string) => ({
    person: slackPerson(id),
    groups,
    ...(email === undefined ? {} : { email }),
  });
  const oidc = (subject: string, groups: string[] = [], email?: string) => ({
    person: parsePerson(`oidc:${subject}`),
    groups,
    ...(email === undefined ? {} : { email }),
  });

  it('keeps users and identity keys in canonical form (slack:U… loads as U…)', () => {
    expect(people.people['devs']?.users).toEqual(['U0DEV00001', 'U0DEV00002', 'oidc:carol@example.com']);
    expect(people.identities).toEqual({ U0DEV00002: 'bob', 'oidc:carol@example.com': 'carol' });
    expect(people.people['by-email']?.emails).toEqual(['alice@example.com']);
  });

  it.each([
    { description: 'a Slack id listed bare', who: slack('U0DEV00001'), inSet: true },
    { description: 'a Slack id listed qualified', who: slack('U0DEV00002'), inSet: true },
    { description: 'a qualified OIDC person', who: oidc('carol@example.com'), inSet: true },
    { description: 'an email, whatever its case', who: oidc('a-sub', [], 'ALICE@example.COM'), inSet: true },
    {
      description: 'a Slack person by their email',
      who: slack('U0ALICE001', [], 'alice@example.com'),
      inSet: true,
    },
    { description: 'an IdP group of an OIDC person', who: oidc('dave', ['platform-engineers']), inSet: true },
    {
      description: 'a Slack user group of a Slack person',
      who: slack('U0LEAD0001', ['S0LEADS001']),
      inSet: true,
    },
    {
      description: 'not a Slack group named like an IdP group (separate namespaces)',
      who: slack('U0OTHER001', ['platform-engineers']),
      inSet: false,
    },
    {
      description: 'not an IdP group named like a Slack user group',
      who: oidc('eve', ['S0LEADS001']),
      inSet: false,
    },
    { description: 'not the same id under another provider', who: oidc('U0DEV00001'), inSet: false },
    {
      description: 'not someone with another email',
      who: oidc('x', [], 'mallory@example.com'),
      inSet: false,
    },
  ])('isInSets: $description → $inSet', ({ who, inSet }) => {
    expect(isInSets(people, ['devs', 'by-email', 'platform', 'slack-leads'], who)).toBe(inSet);
  });

  it.each([
    {
      description: 'a users entry that is no person',
      text: VALID.replace('devs: { users: [UDEV1] }', 'devs: { users: ["ldap:alice"] }'),
      expected: 'people.devs.users[0]: is not a Slack user id (U…) or a person qualified by',
    },
    {
      description: 'an emails entry that is no email',
      text: VALID.replace('devs: { users: [UDEV1] }', 'devs: { emails: [alice] }'),
      expected: 'people.devs.emails[0]: is not an email address',
    },
    {
      description: 'an identities key that is no person',
      text: `${VALID}identities:\n  "oidc:": alice\n`,
      expected: 'identities.oidc:: the key is not an OIDC subject',
    },
    {
      description: 'one person given two identities through both forms',
      text: `${VALID}identities:\n  UDEV1: alice\n  "slack:UDEV1": alicia\n`,
      expected: 'identities.slack:UDEV1: is the same person as UDEV1',
    },
    {
      description: 'two people sharing an identity across providers',
      text: `${VALID}identities:\n  UDEV1: alice\n  "oidc:alice@example.com": Alice\n`,
      expected: 'identities.oidc:alice@example.com: "Alice" is already the AWS identity of UDEV1',
    },
    {
      description: 'more approvals than qualified approvers can give',
      text: VALID.replace(
        'leads: { users: [ULEAD1] }',
        'leads: { users: ["oidc:lead@example.com"] }',
      ).replace('approvers: [leads]', 'approvers: [leads]\n    approvalsRequired: 2'),
      expected:
        'targets[0].approvalsRequired: 2 approvals are required but the approver sets hold 1 distinct person',
    },
  ])('refuses $description', ({ text, expected }) => {
    const issues = issuesOf(text);
    expect(
      issues.some((i) => i.startsWith(expected)),
      issues.join('\n'),
    ).toBe(true);
  });

  it.each([
    { description: 'an emails set', set: 'emails: [lead@example.com]' },
    { description: 'an idpGroups set', set: 'idpGroups: [leads]' },
  ])('does not count the size of $description at load (its people are known once resolved)', ({ set }) => {
    const text = VALID.replace('leads: { users: [ULEAD1] }', `leads: { users: [ULEAD1], ${set} }`).replace(
      'approvers: [leads]',
      'approvers: [leads]\n    approvalsRequired: 2',
    );
    expect(() => parsePolicy(text)).not.toThrow();
  });
});
