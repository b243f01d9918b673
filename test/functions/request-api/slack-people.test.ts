/**
 * A caller of the request API whom the policy maps to a Slack person is that person, resolved
 * through the same directory as Slack (emails, user groups): the API's Lambda wiring
 * (requestApiDepsOf over createGrantWiring) decides like the Slack function does.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { localRequestApi } from '../../../functions/local/request-api-gate.js';
import { createRequestApiHandler, requestApiDepsOf } from '../../../functions/request-api/handler.js';
import { createBaseWiring } from '../../../functions/wiring/base-wiring.js';
import { createGrantWiring } from '../../../functions/wiring/grant-wiring.js';
import { ACTIONS, BLOCKS, CALLBACKS } from '../../../shared/adapters/slack/ids.js';
import { parsePolicy } from '../../../shared/domain/policy.js';
import { RecordingQueue, SequentialIds } from '../../support/fakes.js';
import { API_KEYS, KNOWN_KEYS, callApi, type ApiCallerName } from '../../support/request-api.js';
import { blockAction, interactionBody, selectState, textState, viewSubmission } from '../../support/slack.js';
import { useSlackHandler } from '../slack/harness.js';

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
  const wiring = createGrantWiring({
    base: createBaseWiring({
      env: {
        REQUESTS_TABLE_NAME: h.db().names.requests,
        AUDIT_TABLE_NAME: h.db().names.audit,
        AWS_REGION: 'us-east-1',
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_API_URL: h.slack.url,
      },
      doc: h.db().doc,
      policy: POLICY,
      clock: h.clock(),
      ids: new SequentialIds('api-'),
      logger: new Logger({ logLevel: 'SILENT' }),
    }),
    handOff: new RecordingQueue(),
  });
  return localRequestApi({
    handler: createRequestApiHandler(requestApiDepsOf(wiring)),
    keys: KNOWN_KEYS,
    clock: { now: () => new Date() },
    context: () => ({}) as Context,
    prefix: '/api',
  });
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
