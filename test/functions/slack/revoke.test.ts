import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import {
  blockAction,
  commandBody,
  interactionBody,
  selectState,
  textState,
  viewSubmission,
} from '../../support/slack.js';
import { grantRecord, storeGrants } from '../../support/fake-aws.js';
import { useSlackHandler } from './harness.js';

/** Revoking someone else's grant through the real Slack handler, signed like Slack signs. */

const h = useSlackHandler();

/** An approved, then ACTIVE, dev-group grant of UDEV1 (req-0001), with its approval post updated. */
async function activeGrant(requester = 'UDEV1', id = 'req-0001') {
  const form = {
    ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
    ...textState(BLOCKS.reason, ACTIONS.reason, 'work'),
  };
  await h.send(interactionBody(viewSubmission(requester, CALLBACKS.requestModal, form)));
  await h.send(
    interactionBody(blockAction('ULEAD1', ACTIONS.approve, id, { channel: 'CAPPROVE1', ts: '1' })),
  );
  const approved = await h.db().requests.get(id);
  expect(approved?.status).toBe('APPROVED');
  const now = h.clock().now();
  const active = await h.db().requests.transition(approved!, {
    to: 'ACTIVE',
    at: now,
    audit: auditOf(approved!, 'grant.activated', { at: now, actor: 'system:grant-worker', to: 'ACTIVE' }),
  });
  expect(active.ok).toBe(true);
}

/** Opens `user`'s Home tab (Slack's app_home_opened event), which publishes it. */
const openHome = (user: string) => h.openHome(user);

const reasonForm = (text: string | null) => textState(BLOCKS.revokeReason, ACTIONS.revokeReason, text);

function openedModal(index = 0) {
  return h.slack.callsOf('views.open')[index]?.args.view as
    { callback_id: string; private_metadata: string } | undefined;
}

describe('the Revoke button', () => {
  it('appears on the approval post once approved, and an approver revoking with a reason ends the grant', async () => {
    await activeGrant();
    const updated = JSON.stringify(h.slack.callsOf('chat.update').at(-1)?.args.blocks);
    expect(updated).toContain(ACTIONS.revoke);
    h.slack.reset();
    h.queue().jobs.length = 0;

    await h.send(
      interactionBody(blockAction('ULEAD2', ACTIONS.revoke, 'req-0001', { channel: 'CAPPROVE1', ts: '1' })),
    );
    const modal = openedModal();
    expect(modal?.callback_id).toBe(CALLBACKS.revokeModal);

    const submitted = await h.send(
      interactionBody(
        viewSubmission('ULEAD2', CALLBACKS.revokeModal, reasonForm('left the project'), {
          privateMetadata: modal!.private_metadata,
        }),
      ),
    );
    expect(submitted.statusCode).toBe(200);
    expect(submitted.body).toBe('');
    expect((await h.db().requests.get('req-0001'))?.endRequest).toMatchObject({
      kind: 'revoke',
      by: 'ULEAD2',
      reason: 'left the project',
    });
    expect(h.queue().jobs).toEqual([
      { kind: 'revoke', requestId: 'req-0001', actor: 'ULEAD2', reason: 'left the project' },
    ]);
    expect((await h.auditTypes('req-0001')).at(-1)).toBe('grant.end-requested');
  });

  it('is refused privately to someone who is neither an approver nor security, and nothing is written', async () => {
    await activeGrant();
    h.slack.reset();
    const before = await h.db().requests.get('req-0001');
    await h.send(
      interactionBody(blockAction('UDEV2', ACTIONS.revoke, 'req-0001', { channel: 'CAPPROVE1', ts: '1' })),
    );
    expect(h.slack.callsOf('views.open')).toEqual([]);
    expect(String(h.slack.callsOf('chat.postEphemeral')[0]?.args.text)).toMatch(
      /Only approvers of dev-group/,
    );
    // A forged submission of the modal is decided again, and refused inline.
    const forged = await h.send(
      interactionBody(
        viewSubmission('UDEV2', CALLBACKS.revokeModal, reasonForm('mine now'), {
          privateMetadata: JSON.stringify({ requestId: 'req-0001' }),
        }),
      ),
    );
    expect(JSON.parse(forged.body)).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCKS.revokeReason]: expect.stringMatching(/Only approvers/) },
    });
    expect(await h.db().requests.get('req-0001')).toEqual(before);
  });

  it('asks for a reason: a blank one is an inline error', async () => {
    await activeGrant();
    const blank = await h.send(
      interactionBody(
        viewSubmission('USEC1', CALLBACKS.revokeModal, reasonForm('  '), {
          privateMetadata: JSON.stringify({ requestId: 'req-0001' }),
        }),
      ),
    );
    expect(JSON.parse(blank.body)).toMatchObject({ response_action: 'errors' });
    expect((await h.db().requests.get('req-0001'))?.endRequest).toBeUndefined();
  });

  it('is on the break-glass alert while the grant is live', async () => {
    const form = {
      ...selectState(BLOCKS.target, ACTIONS.target, 'prod-role'),
      ...textState(BLOCKS.reason, ACTIONS.reason, 'DB on fire'),
      ...textState(BLOCKS.ticket, ACTIONS.ticket, 'INC-1'),
    };
    await h.send(interactionBody(viewSubmission('UONCALL1', CALLBACKS.breakGlassModal, form)));
    const alert = h.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CSEC1');
    expect(JSON.stringify(alert?.args.blocks)).toContain(ACTIONS.revoke);
  });

  it('lists everyone’s live grants with Revoke on a security member’s Home tab, and on nobody else’s', async () => {
    await activeGrant();
    h.slack.reset();
    await openHome('USEC1');
    await openHome('ULEAD1');
    const [security, lead] = h.slack.callsOf('views.publish').map((c) => JSON.stringify(c.args.view));
    expect(security).toContain('Everyone’s live grants');
    expect(security).toContain(ACTIONS.revoke);
    expect(security).toContain('req-0001');
    expect(lead).not.toContain('Everyone’s live grants');
  });
});

describe('the Revoke button on a security member’s Home tab', () => {
  it('shows who, target and end; opens the same reason modal; the submission ends the grant', async () => {
    await activeGrant();
    h.slack.reset();
    h.queue().jobs.length = 0;
    await openHome('USEC1');
    const view = h.slack.callsOf('views.publish')[0]?.args.view as { blocks: unknown[] };
    const row = view.blocks.find((b) => JSON.stringify(b).includes(ACTIONS.revoke)) as {
      text: { text: string };
      accessory: { value: string };
    };
    expect(row.text.text).toMatch(/<@UDEV1> · \*dev-group\* \(group\) · ends <!date\^/);
    expect(row.accessory.value).toBe('req-0001');

    // A Home tab click has no channel: the same reason modal opens as from the security alert.
    await h.send(
      interactionBody(
        blockAction('USEC1', ACTIONS.revoke, row.accessory.value, { view: { id: 'V0HOME', type: 'home' } }),
      ),
    );
    const modal = openedModal();
    expect(modal?.callback_id).toBe(CALLBACKS.revokeModal);
    await h.send(
      interactionBody(
        viewSubmission('USEC1', CALLBACKS.revokeModal, reasonForm('suspicious calls'), {
          privateMetadata: modal!.private_metadata,
        }),
      ),
    );
    expect(h.queue().jobs).toEqual([
      { kind: 'revoke', requestId: 'req-0001', actor: 'USEC1', reason: 'suspicious calls' },
    ]);
  });

  it('lists at most the newest 20 live grants, then says how many more', async () => {
    const at = (minute: number) => new Date(Date.parse('2026-11-27T08:00:00.000Z') + minute * 60_000);
    await storeGrants(
      { store: h.db().requests },
      Array.from({ length: 23 }, (_, i) =>
        grantRecord({
          id: `req-g${String(i).padStart(2, '0')}`,
          status: 'ACTIVE',
          startsAt: at(i).toISOString(),
          endsAt: at(i + 600).toISOString(),
        }),
      ),
    );
    h.slack.reset();
    await openHome('USEC1');
    const view = JSON.stringify(h.slack.callsOf('views.publish')[0]?.args.view);
    expect(view.split(`"action_id":"${ACTIONS.revoke}"`)).toHaveLength(21);
    expect(view).toContain('"value":"req-g22"');
    expect(view).not.toContain('"value":"req-g02"');
    expect(view).toContain('and 3 more live grants');
  });
});

describe('/revoke-access @person [target]', () => {
  it('ends every live grant of the person, for the security set, after a reason', async () => {
    await activeGrant();
    h.slack.reset();
    h.queue().jobs.length = 0;
    const opened = await h.send(commandBody(COMMANDS.revokeAccess, 'USEC1', '<@UDEV1|dev.one>'));
    expect(opened.statusCode).toBe(200);
    const modal = openedModal();
    expect(modal?.callback_id).toBe(CALLBACKS.revokeModal);
    expect(JSON.parse(modal!.private_metadata)).toEqual({ holder: 'UDEV1' });

    const submitted = await h.send(
      interactionBody(
        viewSubmission('USEC1', CALLBACKS.revokeModal, reasonForm('compromised laptop'), {
          privateMetadata: modal!.private_metadata,
        }),
      ),
    );
    expect(JSON.parse(submitted.body)).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(JSON.parse(submitted.body))).toContain('1 live grant');
    expect(h.queue().jobs).toEqual([
      { kind: 'revoke', requestId: 'req-0001', actor: 'USEC1', reason: 'compromised laptop' },
    ]);
  });

  it('is refused to anyone outside the security set, and a bad argument gets the usage', async () => {
    await activeGrant();
    h.slack.reset();
    const lead = await h.send(commandBody(COMMANDS.revokeAccess, 'ULEAD1', '<@UDEV1> dev-group'));
    expect(JSON.parse(lead.body)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/Only the security set/),
    });
    const usage = await h.send(commandBody(COMMANDS.revokeAccess, 'USEC1', 'everyone please'));
    expect(JSON.parse(usage.body)).toMatchObject({ text: expect.stringMatching(/Usage/) });
    expect(h.slack.callsOf('views.open')).toEqual([]);
    expect((await h.db().requests.get('req-0001'))?.endRequest).toBeUndefined();
  });
});
