/**
 * A caller of the request API whom the policy maps to a Slack person is that person, resolved
 * through the same directory as Slack (emails, user groups): the API's Lambda wiring
 * (requestApiDepsOf over createGrantWiring) decides like the Slack function does.
 */
import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS } from '../../../shared/adapters/slack/ids.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { API_KEYS, callApi, type ApiCallerName } from '../../support/request-api.js';
import { blockAction, interactionBody, selectState, textState, viewSubmission } from '../../support/slack.js';
import { useSlackHandler } from '../slack/harness.js';
import { requestApiOverLambdaWiring } from './lambda-api.js';

/** Approvers named by email only: whether someone is one depends on the email Slack gives. */
const POLICY = parsePolicy(
  `
version: 1
people:
  devs: { users: [UDEV1] }
  email-leads: { emails: [lead.three@example.com] }
identityEmailDomain: example.com
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [email-leads], defaultDuration: 1h, maxDuration: 8h, approvalChannel: CAPPROVE1 }
api:
  callers:
    "${API_KEYS.dev.arn}": UDEV1
    "${API_KEYS.lead.arn}": ULEAD1
    "${API_KEYS.lead2.arn}": ULEAD3
`,
  'email-approvers',
);

const h = useSlackHandler(POLICY);

/** The request API as deployed: the Lambda wiring, its Slack client aimed at the stand-in. */
function apiOverLambdaWiring() {
  return requestApiOverLambdaWiring(h, POLICY).gate;
}

async function submitThroughSlack(): Promise<string> {
  await h.send(
    interactionBody(
      viewSubmission('UDEV1', CALLBACKS.requestModal, {
        ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
        ...textState(BLOCKS.duration, ACTIONS.duration, null),
        ...textState(BLOCKS.reason, ACTIONS.reason, 'deploy'),
        ...textState(BLOCKS.ticket, ACTIONS.ticket, null),
      }),
    ),
  );
  const [request] = await h
    .db()
    .requests.listPending({ limit: 10 })
    .then((page) => page.items);
  if (!request) throw new Error('the Slack submission wrote no request');
  return request.id;
}

describe('an email-defined approver: the same decisions through Slack and the API', () => {
  it.each([
    {
      description: 'the Slack user whose Slack email is listed approves',
      slackUser: 'ULEAD3',
      apiCaller: 'lead2' as ApiCallerName,
      status: 'APPROVED',
    },
    {
      description: 'a Slack user with another email is not an approver',
      slackUser: 'ULEAD1',
      apiCaller: 'lead' as ApiCallerName,
      status: 'PENDING',
    },
  ])('$description', async ({ slackUser, apiCaller, status }) => {
    // Through Slack: a signed click on the approval post.
    const viaSlack = await submitThroughSlack();
    await h.send(
      interactionBody(blockAction(slackUser, ACTIONS.approve, viaSlack, { channel: 'CAPPROVE1', ts: '1.0' })),
    );
    expect((await h.db().requests.get(viaSlack))?.status).toBe(status);

    // Through the API: the same person, signed with their AWS credentials.
    const gate = apiOverLambdaWiring();
    const submitted = await callApi(gate, 'dev', 'POST', '/requests', {
      target: 'dev-group',
      reason: 'deploy',
    });
    expect(submitted.status).toBe(201);
    const viaApi = (submitted.body.request as { id: string }).id;
    const approved = await callApi(gate, apiCaller, 'POST', `/requests/${viaApi}/approve`, {});
    expect(approved.status).toBe(status === 'APPROVED' ? 200 : 422);
    expect((await h.db().requests.get(viaApi))?.status).toBe(status);
  });
});
