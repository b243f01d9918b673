import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { personOfApiCaller } from '../../../shared/domain/api-caller.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { ManualClock, RecordingQueue } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import { API_KEYS, callApi, requestApiOver, type ApiCallerName } from '../../support/request-api.js';

/**
 * Issue 14: the caller is the SigV4 principal, mapped to a person by the policy: an IAM user,
 * an Identity Center role session name (email), or an explicit map.
 */
const SSO_ROLE = 'AWSReservedSSO_Dev_0123456789abcdef';
const POLICY = parsePolicy(
  `
version: 1
people:
  sso-devs: { emails: [ann.lee@example.com] }
  leads: { users: [ULEAD1] }
identityEmailDomain: example.com
api:
  callers: { "${API_KEYS.lead.arn}": ULEAD1 }
  emailSessionRoles: [${SSO_ROLE}]
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [sso-devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h }
`,
  'caller-mapping-policy',
);

describe('personOfApiCaller (decision table)', () => {
  it.each([
    {
      description: 'an explicitly mapped principal is the person the policy names',
      arn: API_KEYS.lead.arn,
      expected: { ok: true, person: { provider: 'slack', id: 'ULEAD1' } },
    },
    {
      description: 'an IAM user is its own cli: person, without an email',
      arn: 'arn:aws:iam::111122223333:user/dev-one',
      expected: { ok: true, person: { provider: 'cli', id: 'arn:aws:iam::111122223333:user/dev-one' } },
      email: undefined,
    },
    {
      description: 'an Identity Center session of a listed role carries its session name as the email',
      arn: API_KEYS.ssoAnn.arn,
      expected: {
        ok: true,
        person: { provider: 'cli', id: API_KEYS.ssoAnn.arn },
        email: 'ann.lee@example.com',
      },
    },
    {
      description: 'the same session name on a role not listed carries no email',
      arn: API_KEYS.otherRoleAnn.arn,
      expected: { ok: true, person: { provider: 'cli', id: API_KEYS.otherRoleAnn.arn } },
      email: undefined,
    },
    {
      description: 'a listed role whose session name is not an email carries no email',
      arn: `arn:aws:sts::111122223333:assumed-role/${SSO_ROLE}/ann`,
      expected: { ok: true, person: { provider: 'cli' } },
      email: undefined,
    },
    {
      description: 'the root principal is refused',
      arn: 'arn:aws:iam::111122223333:root',
      expected: { ok: false, message: expect.stringContaining('api.callers') },
    },
    {
      description: 'a federated user is refused',
      arn: 'arn:aws:sts::111122223333:federated-user/bob',
      expected: { ok: false },
    },
  ])('$description', ({ arn, expected, ...rest }) => {
    const caller = personOfApiCaller(POLICY, arn);
    expect(caller).toMatchObject(expected);
    if ('email' in rest) expect(caller).not.toHaveProperty('email');
  });
});

const db = useLocalTables();
let api: ReturnType<typeof requestApiOver>;

beforeEach(() => {
  api = requestApiOver({ db: db(), policy: POLICY, clock: new ManualClock(), queue: new RecordingQueue() });
});

const call = (who: ApiCallerName, method: string, path: string, body?: unknown) =>
  callApi(api.gate, who, method, path, body);

describe('an Identity Center session through the real handler (SigV4)', () => {
  it('is the person its email names: may request a target of an emails: set, granted to the AWS identity of that email', async () => {
    const submitted = await call('ssoAnn', 'POST', '/requests', { target: 'dev-group', reason: 'deploy' });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      request: { id: 'req-0001', status: 'PENDING', requester: `cli:${API_KEYS.ssoAnn.arn}` },
    });
    expect(await api.requests.store.get('req-0001')).toMatchObject({ principal: 'ann.lee@example.com' });
    expect((await call('lead', 'POST', '/requests/req-0001/approve')).body).toMatchObject({
      outcome: 'approved',
    });
    expect((await call('ssoAnn', 'GET', '/requests')).body).toMatchObject({ live: [{ id: 'req-0001' }] });
  });

  it('the same session name on a role not listed is nobody the policy lets request, and nothing is written', async () => {
    const refused = await call('otherRoleAnn', 'POST', '/requests', {
      target: 'dev-group',
      reason: 'deploy',
    });
    expect(refused).toMatchObject({ status: 422, body: { outcome: 'refused', reason: 'no-email' } });
    const items =
      (await db().doc.send(new ScanCommand({ TableName: db().names.requests, ConsistentRead: true })))
        .Items ?? [];
    expect(items).toEqual([]);
  });
});
