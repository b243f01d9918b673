/**
 * `jit request <permission-set target> --account …` against the request API as Lambda builds
 * it (requestApiDepsOf over createGrantWiring, its AWS clients from createAwsClients with
 * Organizations mocked): the account directory is wired, so the accounts are taken and checked,
 * answers and audit name them, and the grant side's Slack messages say "name (id)".
 */
import { DescribeAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PERMISSION_SET_TARGET,
  PROD_ACCOUNT,
  STAGING_ACCOUNT,
  permissionSetPolicyYaml,
} from '../../support/permission-set-policy.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { API_KEYS, callApi } from '../../support/request-api.js';
import { useSlackHandler } from '../slack/harness.js';
import { requestApiOverLambdaWiring } from './lambda-api.js';

const POLICY = parsePolicy(
  `${permissionSetPolicyYaml()}api:
  callers:
    "${API_KEYS.dev.arn}": UDEV1
    "${API_KEYS.lead.arn}": ULEAD1
`,
  'lambda-accounts',
);
const NAMES: Record<string, string> = { [PROD_ACCOUNT]: 'Prod', [STAGING_ACCOUNT]: 'Staging' };

const orgs = mockClient(OrganizationsClient);
afterAll(() => orgs.restore());

const h = useSlackHandler(POLICY);

/** The request API as deployed: Lambda's wiring and env, its Slack client aimed at the stand-in. */
function apiOverLambdaWiring() {
  orgs.reset();
  orgs.on(DescribeAccountCommand).callsFake((input: { AccountId: string }) => ({
    Account: { Id: input.AccountId, Name: NAMES[input.AccountId] },
  }));
  return requestApiOverLambdaWiring(h, POLICY);
}

async function auditDetails(): Promise<Record<string, unknown>[]> {
  const page = await h.db().doc.send(new ScanCommand({ TableName: h.db().names.audit }));
  return (page.Items ?? []).map((item) => (item.detail ?? {}) as Record<string, unknown>);
}

describe('the request API in Lambda and accounts', () => {
  it('takes --account for a permission-set target, names the accounts, and audits each account grant', async () => {
    const { gate } = apiOverLambdaWiring();
    const submitted = await callApi(gate, 'dev', 'POST', '/requests', {
      target: PERMISSION_SET_TARGET,
      account: `${PROD_ACCOUNT},${STAGING_ACCOUNT}`,
      reason: 'fix the shop',
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body.request).toMatchObject({
      account: PROD_ACCOUNT,
      accountName: 'Prod',
      accounts: [
        { id: PROD_ACCOUNT, name: 'Prod' },
        { id: STAGING_ACCOUNT, name: 'Staging' },
      ],
    });
    const id = (submitted.body.request as { id: string }).id;
    const approved = await callApi(gate, 'lead', 'POST', `/requests/${id}/approve`, {});
    expect(approved.status).toBe(200);
    const accounts = (await auditDetails()).map((d) => d.account).filter((a) => a !== undefined);
    expect(accounts).toContain(STAGING_ACCOUNT);
  });

  it('refuses an account the target does not reach, and writes nothing', async () => {
    const { gate } = apiOverLambdaWiring();
    const answer = await callApi(gate, 'dev', 'POST', '/requests', {
      target: PERMISSION_SET_TARGET,
      account: '999999999999',
      reason: 'fix',
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ field: 'account' });
    expect((await h.db().requests.listPending({ limit: 10 })).items).toHaveLength(0);
  });

  it('names the account "name (id)" in the grant side\'s Slack messages', async () => {
    const { gate } = apiOverLambdaWiring();
    const submitted = await callApi(gate, 'dev', 'POST', '/requests', {
      target: PERMISSION_SET_TARGET,
      account: PROD_ACCOUNT,
      reason: 'fix',
    });
    expect(submitted.status).toBe(201);
    const posted = JSON.stringify(h.slack.calls.map((c) => c.args));
    expect(posted).toContain(`Prod (${PROD_ACCOUNT})`);
  });
});
