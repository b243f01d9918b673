import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { inspectSlackRequest } from '../../../shared/adapters/slack/request-guard.js';
import {
  blockAction,
  commandBody,
  interactionBody,
  selectState,
  signedEvent,
  TEST_SIGNING_SECRET,
  textState,
  viewSubmission,
} from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

const h = useSlackHandler();

const requestForm = {
  ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
  ...textState(BLOCKS.duration, ACTIONS.duration, 'soon'),
  ...textState(BLOCKS.reason, ACTIONS.reason, 'logs'),
};

function without<T extends Record<string, unknown>>(value: T, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));
}

/** A view_submission whose view lacks `key`. */
function submissionWithout(key: string) {
  const payload = viewSubmission('UDEV1', CALLBACKS.requestModal, requestForm);
  return interactionBody({ ...payload, view: without(payload.view, key) });
}

describe('every payload shape gets a clean answer', () => {
  it.each([
    { description: 'a view_submission without view.blocks', body: submissionWithout('blocks'), status: 400 },
    { description: 'a view_submission without view.state', body: submissionWithout('state'), status: 400 },
    {
      description: 'a block_actions without actions',
      body: interactionBody({ ...blockAction('UDEV1', ACTIONS.approve, 'req-1'), actions: [] }),
      status: 400,
    },
    { description: 'a payload that is not JSON', body: 'payload=%7B%22type%22', status: 400 },
    {
      description: 'an interaction of a type we do not handle',
      body: interactionBody({ type: 'message_action', user: { id: 'UDEV1' } }),
      status: 400,
    },
  ])('$description is refused with $status and writes nothing', async ({ body, status }) => {
    const response = await h.send(body);
    expect(response.statusCode).toBe(status);
    expect(await h.storedItems()).toEqual([]);
  });

  it('a view_submission with an unknown callback id is answered with a closing message', async () => {
    const response = await h.send(interactionBody(viewSubmission('UDEV1', 'jit_retired_modal', requestForm)));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      response_action: 'update',
      view: { type: 'modal', title: { text: 'Not sent' } },
    });
    expect(await h.storedItems()).toEqual([]);
  });

  it('a click on a button we no longer have is acknowledged', async () => {
    const response = await h.send(interactionBody(blockAction('UDEV1', 'jit_retired_button', 'req-1')));
    expect(response).toMatchObject({ statusCode: 200, body: '' });
  });

  it('a closed modal (view_closed) is acknowledged', async () => {
    const response = await h.send(
      interactionBody({ type: 'view_closed', user: { id: 'UDEV1' }, view: { id: 'V1', callback_id: 'x' } }),
    );
    expect(response).toMatchObject({ statusCode: 200, body: '' });
  });

  it('an unknown slash command is answered privately', async () => {
    const response = await h.send(commandBody('/not-ours', 'UDEV1'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ response_type: 'ephemeral' });
  });

  it('a known form with a bad duration still gets its inline error', async () => {
    const response = await h.send(
      interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, requestForm)),
    );
    expect(JSON.parse(response.body)).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCKS.duration]: expect.stringContaining('is not a duration') },
    });
  });
});

const ids = fc.oneof(
  fc.constantFrom('UDEV1', 'ULEAD1', 'UONCALL1', 'V1', 'req-0001'),
  fc.string({ maxLength: 70 }),
);
const anything = fc.anything({ maxDepth: 2, maxKeys: 4 });
const callbackIds = fc.oneof(fc.constantFrom(...Object.values(CALLBACKS)), fc.string({ maxLength: 20 }));
const actionIds = fc.oneof(fc.constantFrom(...Object.values(ACTIONS)), fc.string({ maxLength: 20 }));
const values = fc.dictionary(
  fc.constantFrom(...Object.values(BLOCKS)),
  fc.dictionary(
    fc.constantFrom(...Object.values(ACTIONS)),
    fc.record({
      type: fc.string(),
      value: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null), anything),
    }),
  ),
);

/** Interaction payloads near the shapes Slack sends, with holes and odd values. */
const interactions = fc.oneof(
  fc.record(
    {
      type: fc.constant('view_submission'),
      user: fc.record({ id: ids }),
      view: fc.record(
        {
          id: ids,
          callback_id: callbackIds,
          private_metadata: fc.oneof(fc.string({ maxLength: 40 }), fc.json()),
          blocks: fc.array(fc.record({ type: fc.string(), block_id: fc.string() }), { maxLength: 3 }),
          state: fc.record({ values }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('block_actions'),
      user: fc.record({ id: ids }),
      trigger_id: fc.string({ maxLength: 10 }),
      channel: fc.record({ id: ids }),
      view: fc.record(
        { id: ids, callback_id: callbackIds, state: fc.record({ values }) },
        { requiredKeys: [] },
      ),
      actions: fc.array(
        fc.record({ action_id: actionIds, value: fc.oneof(ids, anything) }, { requiredKeys: [] }),
        {
          maxLength: 2,
        },
      ),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record({ type: fc.oneof(fc.string(), anything), user: anything, view: anything }, { requiredKeys: [] }),
);

describe('the request gate and the listeners, fuzzed with signed payloads', () => {
  it('the gate never throws and answers only 200, 400, 401 or 413', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
        (body, contentType) => {
          const verdict = inspectSlackRequest(
            signedEvent(body, { contentType }),
            TEST_SIGNING_SECRET,
            Date.now(),
          );
          return verdict.ok || [400, 401, 413].includes(verdict.statusCode);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a signed interaction of any shape never gets a 5xx, a 404 or a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(interactions, fc.constant({ type: 'view_closed', user: { id: 'UDEV1' } })),
        async (payload) => {
          const response = await h.send(interactionBody(payload as Record<string, unknown>));
          return [200, 400].includes(response.statusCode);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it('a signed slash command of any shape never gets a 5xx, a 404 or a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.values(COMMANDS), '/other'),
        ids,
        fc.string({ maxLength: 40 }),
        async (command, userId, text) => {
          const response = await h.send(commandBody(command, userId, text));
          return [200, 400].includes(response.statusCode);
        },
      ),
      { numRuns: 20 },
    );
  }, 60_000);
});
