import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consoleRolesOf, hasAnyConsoleRole, mayReadRequest } from '../../shared/domain/console-roles.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import { person } from '../support/fakes.js';

const policy = parsePolicy(readFileSync('policy/example.yaml', 'utf8'), 'example.yaml');

describe('console roles come from the policy’s people sets', () => {
  it.each([
    { who: 'U0DEV00001', roles: { requester: true, approver: false, security: false, auditor: false } },
    { who: 'U0LEAD0001', roles: { requester: false, approver: true, security: false, auditor: false } },
    { who: 'U0SEC00001', roles: { requester: true, approver: true, security: true, auditor: false } },
    { who: 'U0AUD00001', roles: { requester: true, approver: false, security: false, auditor: true } },
    { who: 'U0NOBODY01', roles: { requester: false, approver: false, security: false, auditor: false } },
  ])('$who', ({ who, roles }) => {
    expect(consoleRolesOf(policy, person(who))).toEqual(roles);
    expect(hasAnyConsoleRole(roles)).toBe(who !== 'U0NOBODY01');
  });

  it('lets people read their own requests and those they approve; auditors read all', () => {
    const request = { requester: 'U0DEV00001', targetId: 'developers' };
    const read = (who: string) =>
      mayReadRequest(policy, consoleRolesOf(policy, person(who)), request, person(who));
    expect(read('U0DEV00001')).toBe(true);
    expect(read('U0LEAD0001')).toBe(true);
    expect(read('U0AUD00001')).toBe(true);
    expect(read('U0DEV00002')).toBe(false);
    expect(read('U0QA000001')).toBe(false);
  });
});
