import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../shared/domain/errors.js';
import { parsePolicy, requestableTargets, isResponder, expandSets } from '../../shared/domain/policy.js';
import { EXAMPLE_POLICY_PATH, loadPolicyFile } from '../../shared/config/policy-file.js';

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
    ]);
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

  it('fails to load a broken file, naming the file', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(/\/nonexistent\/policy\.yaml/);
  });

  it('answers who may request, respond and approve', () => {
    const policy = loadPolicyFile(EXAMPLE_POLICY_PATH);
    expect(requestableTargets(policy, { userId: 'U0QA000001', userGroups: [] }).map((t) => t.id)).toEqual([
      'testers',
    ]);
    expect(isResponder(policy, { userId: 'U0X', userGroups: ['S0ONCALL01'] })).toBe(true);
    expect(isResponder(policy, { userId: 'U0DEV00002', userGroups: [] })).toBe(false);
    expect(expandSets(policy, ['leads', 'security']).users).toHaveLength(5);
  });
});
