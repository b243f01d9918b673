/**
 * One decision table, two front doors (issue 14): every row of test/support/decision-tables.ts
 * goes through the real Slack handler (signed requests) and the request API as Lambda wires it
 * (SigV4-signed calls) over the same DynamoDB Local tables, and both doors must give the same
 * answer in their own form (Slack: the modal's inline error on the field's block, an ephemeral
 * note; API: 422 with `field`, `reason` and `message`) with the same words and the same stored state.
 */
import { DescribeAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SandboxIdentityCenter } from '../../../shared/adapters/sandbox/sandbox-identity-center.js';
import { multiSelectState } from '../../../shared/adapters/sandbox/slack-payloads.js';
import { ACTIONS, BLOCKS, CALLBACKS, FIELD_BLOCKS } from '../../../shared/adapters/slack/ids.js';
import type { RefusalField } from '../../../shared/domain/decision.js';
import { permissionSetAccountDirectory } from '../../../shared/targets/permission-set/account-directory.js';
import {
  APPROVALS,
  DECISION_TABLE_POLICY,
  SUBMISSION_REFUSALS,
  TABLE_PEOPLE,
  type AccessAsk,
  type TablePerson,
} from '../../support/decision-tables.js';
import { callApi } from '../../support/request-api.js';
import { blockAction, interactionBody, selectState, textState, viewSubmission } from '../../support/slack.js';
import { useSlackHandler } from '../slack/harness.js';
import { requestApiOverLambdaWiring } from './lambda-api.js';

const orgs = mockClient(OrganizationsClient);
afterAll(() => orgs.restore());
beforeEach(() => {
  orgs.reset();
  orgs.on(DescribeAccountCommand).callsFake((input: { AccountId: string }) => ({
    Account: { Id: input.AccountId, Name: `Account ${input.AccountId}` },
  }));
});

// The Slack function's account directory over the sandbox organization; the API's is Lambda's own.
const h = useSlackHandler(DECISION_TABLE_POLICY, {
  accounts: permissionSetAccountDirectory(new SandboxIdentityCenter(() => ({})).permissionSetAdapters()),
});

/** The API's body key for a decision's field (the API takes `account`, comma-separated). */
const API_FIELDS: Record<RefusalField, string> = {
  target: 'target',
  duration: 'duration',
  reason: 'reason',
  ticket: 'ticket',
  start: 'start',
  accounts: 'account',
};

/** The request modal as `ask` fills it in (the accounts picker only for a target that has one). */
function requestForm(ask: AccessAsk) {
  return {
    ...selectState(BLOCKS.target, ACTIONS.target, ask.target),
    ...textState(BLOCKS.duration, ACTIONS.duration, ask.duration ?? null),
    ...textState(BLOCKS.reason, ACTIONS.reason, ask.reason ?? null),
    ...textState(BLOCKS.ticket, ACTIONS.ticket, ask.ticket ?? null),
    ...(ask.accounts === undefined ? {} : multiSelectState(BLOCKS.accounts, ACTIONS.accounts, ask.accounts)),
  };
}

/** The API body that asks the same. */
function requestBody(ask: AccessAsk) {
  return {
    target: ask.target,
    ...(ask.duration === undefined ? {} : { duration: ask.duration }),
    ...(ask.reason === undefined ? {} : { reason: ask.reason }),
    ...(ask.ticket === undefined ? {} : { ticket: ask.ticket }),
    ...(ask.accounts === undefined ? {} : { account: ask.accounts.join(',') }),
  };
}

function submitThroughSlack(person: TablePerson, ask: AccessAsk) {
  return h.send(interactionBody(viewSubmission(person, CALLBACKS.requestModal, requestForm(ask))));
}

/** A signed click on the request's approval post in the approvers' channel. */
function clickApprove(person: TablePerson, requestId: string) {
  return h.send(
    interactionBody(blockAction(person, ACTIONS.approve, requestId, { channel: 'CAPPROVE1', ts: '1.0' })),
  );
}

/** What a door left behind for a request: its state, its audit trail and the jobs queued for it. */
async function storedState(requestId: string, jobs: readonly { requestId: string; kind: string }[]) {
  const request = await h.db().requests.get(requestId);
  return {
    status: request?.status,
    approvers: request?.approvals.map((a) => a.approver),
    version: request?.version,
    audit: await h.auditTypes(requestId),
    jobs: jobs.filter((j) => j.requestId === requestId).map((j) => j.kind),
  };
}

describe('submission refusals: the same decision through Slack and the API', () => {
  it.each(SUBMISSION_REFUSALS)('$description', async ({ requester, ask, field, reason, message }) => {
    // Slack: the modal stays open with the decision's words on the field's block.
    const slack = await submitThroughSlack(requester, ask);
    expect(JSON.parse(slack.body)).toEqual({
      response_action: 'errors',
      errors: { [FIELD_BLOCKS[field]]: message },
    });
    expect(await h.storedItems()).toEqual([]);
    expect(h.queue().jobs).toEqual([]);

    // API: 422 naming the field, with the decision's reason and the same words.
    const { gate, queue } = requestApiOverLambdaWiring(h, DECISION_TABLE_POLICY);
    const api = await callApi(gate, TABLE_PEOPLE[requester], 'POST', '/requests', requestBody(ask));
    expect(api).toEqual({
      status: 422,
      body: { outcome: 'refused', field: API_FIELDS[field], reason, message },
    });
    expect(await h.storedItems()).toEqual([]);
    expect(queue.jobs).toEqual([]);
  });
});

describe('who may approve: the same decision through Slack and the API', () => {
  it.each(APPROVALS)(
    '$description',
    async ({ requester, earlier, approver, outcome, reason, message, after }) => {
      const expected = {
        status: after.status,
        approvers: after.approvers,
        version: 1 + earlier.length + (outcome === 'approved' ? 1 : 0),
        audit: ['request.submitted', ...(after.status === 'APPROVED' ? ['request.approved'] : [])],
        jobs: after.status === 'APPROVED' ? ['activate'] : [],
      };

      // Slack: signed clicks on the approval post; a refusal is an ephemeral note to the clicker.
      await submitThroughSlack(requester, { target: 'dev-group', reason: 'deploy' });
      const [viaSlack] = (await h.db().requests.listByRequester(requester)).items;
      if (!viaSlack) throw new Error('the Slack submission wrote no request');
      for (const person of earlier) await clickApprove(person, viaSlack.id);
      h.slack.reset();
      expect((await clickApprove(approver, viaSlack.id)).statusCode).toBe(200);
      const notes = h.slack
        .callsOf('chat.postEphemeral')
        .map((c) => ({ channel: c.args.channel, user: c.args.user, text: c.args.text }));
      expect(notes).toEqual(
        message === undefined ? [] : [{ channel: 'CAPPROVE1', user: approver, text: message }],
      );
      expect(await storedState(viaSlack.id, h.queue().jobs)).toEqual(expected);

      // API: SigV4-signed calls by the same people.
      const { gate, queue } = requestApiOverLambdaWiring(h, DECISION_TABLE_POLICY);
      const submitted = await callApi(gate, TABLE_PEOPLE[requester], 'POST', '/requests', {
        target: 'dev-group',
        reason: 'deploy',
      });
      expect(submitted.status).toBe(201);
      const viaApi = (submitted.body.request as { id: string }).id;
      for (const person of earlier) {
        expect(
          (await callApi(gate, TABLE_PEOPLE[person], 'POST', `/requests/${viaApi}/approve`, {})).status,
        ).toBe(200);
      }
      const answer = await callApi(gate, TABLE_PEOPLE[approver], 'POST', `/requests/${viaApi}/approve`, {});
      expect(answer).toMatchObject(
        {
          approved: { status: 200, body: { outcome: 'approved', request: { status: 'APPROVED' } } },
          refused: { status: 422, body: { outcome: 'refused', reason, message } },
          'already-decided': { status: 409, body: { error: 'ALREADY_DECIDED', message } },
        }[outcome],
      );
      expect(await storedState(viaApi, queue.jobs)).toEqual(expected);
    },
  );
});

describe('where the doors differ on purpose: a duration that is not one', () => {
  // Not a decision: each door parses the duration before deciding. Slack puts its parse error
  // inline on the duration; the API answers 400 (a malformed body) naming the field.
  it('is an inline error in Slack and a 400 from the API; neither writes anything', async () => {
    const ask = { target: 'dev-group', duration: 'soon', reason: 'deploy' };
    const slack = await submitThroughSlack('UDEV1', ask);
    expect(JSON.parse(slack.body)).toEqual({
      response_action: 'errors',
      errors: { [BLOCKS.duration]: '"soon" is not a duration (try 30m, 1h or 1h30m).' },
    });

    const { gate, queue } = requestApiOverLambdaWiring(h, DECISION_TABLE_POLICY);
    const api = await callApi(gate, 'dev', 'POST', '/requests', requestBody(ask));
    expect(api.status).toBe(400);
    expect(String(api.body.message)).toContain('duration: is not a duration');
    expect(await h.storedItems()).toEqual([]);
    expect([...h.queue().jobs, ...queue.jobs]).toEqual([]);
  });
});
