import { describe, expect, it } from 'vitest';
import { eventsOverSlackClient } from '../../../functions/wiring/event-wiring.js';
import { ACTIONS, BLOCKS, CALLBACKS } from '../../../shared/adapters/slack/ids.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { followUpPendingRequests } from '../../../shared/usecases/follow-up-pending.js';
import { RecordingQueue, SequentialIds, silentLogger } from '../../support/fakes.js';
import {
  blockAction,
  interactionBody,
  selectState,
  standInWebClient,
  textState,
  viewSubmission,
} from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

/**
 * Approval stages through the real Slack handler (signed requests, DynamoDB Local, the Slack
 * stand-in): each stage's approvers are DMed in turn with the stage and who still has to
 * decide, an approver of a later stage is refused, and the escalation notice reaches the
 * backup approvers.
 */

const policy = parsePolicy(`
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1, ULEAD2] }
  security: { users: [USEC1] }
  backup: { users: [UONCALL1] }
identityEmailDomain: example.com
renotifyAfter: 1h
approvalTimeout: 4h
targets:
  - id: prod-db
    kind: group
    groupName: jit-prod-db
    description: Production database
    requesters: [devs]
    stages:
      - { name: team leads, approvers: [leads], required: 1 }
      - { name: security, approvers: [security], required: 1 }
    escalation: { after: 30m, to: [backup] }
    defaultDuration: 1h
    maxDuration: 2h
`);

const h = useSlackHandler(policy);

function textOf(args: Record<string, unknown>): string {
  return JSON.stringify(args.blocks ?? '') + String(args.text ?? '');
}

async function click(userId: string, requestId: string) {
  return h.send(
    interactionBody(blockAction(userId, ACTIONS.approve, requestId, { channel: userId, ts: '1.0' })),
  );
}

async function submitStaged() {
  await h.send(
    interactionBody(
      viewSubmission('UDEV1', CALLBACKS.requestModal, {
        ...selectState(BLOCKS.target, ACTIONS.target, 'prod-db'),
        ...textState(BLOCKS.duration, ACTIONS.duration, null),
        ...textState(BLOCKS.reason, ACTIONS.reason, 'Schema migration'),
        ...textState(BLOCKS.ticket, ACTIONS.ticket, null),
      }),
    ),
  );
  return 'req-0001';
}

describe('approval stages in Slack', () => {
  it('asks each stage in turn, shows the stage and who still has to decide, refuses a later stage early', async () => {
    const id = await submitStaged();
    const asked = h.slack.callsOf('chat.postMessage');
    expect(asked.map((c) => c.args.channel).sort()).toEqual(['ULEAD1', 'ULEAD2']);
    expect(textOf(asked[0]!.args)).toContain(
      'Stage 1 of 2: team leads, 0 of 1 · waiting for <@ULEAD1>, <@ULEAD2>',
    );

    h.slack.reset();
    await click('USEC1', id);
    const refusal = h.slack.callsOf('chat.postEphemeral')[0];
    expect(String(refusal?.args.text)).toMatch(/stage 2/);
    expect(await h.db().requests.get(id)).toMatchObject({ status: 'PENDING', approvals: [] });

    h.slack.reset();
    await click('ULEAD1', id);
    const stageTwo = h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'USEC1');
    expect(stageTwo).toHaveLength(1);
    expect(textOf(stageTwo[0]!.args)).toContain('Stage 2 of 2: security, 0 of 1 · waiting for <@USEC1>');
    // The stage-1 posts are updated in place to the new stage.
    expect(h.slack.callsOf('chat.update').length).toBeGreaterThan(0);

    h.slack.reset();
    await click('USEC1', id);
    expect(await h.db().requests.get(id)).toMatchObject({ status: 'APPROVED' });
    expect(h.queue().jobs).toEqual([{ kind: 'activate', requestId: id }]);
    expect(await h.auditTypes(id)).toEqual([
      'request.submitted',
      'request.approval-recorded',
      'request.approved',
    ]);
  });

  it('sends the escalation notice to the backup approvers once', async () => {
    const id = await submitStaged();
    h.slack.reset();
    const web = standInWebClient(h.slack);
    const events = eventsOverSlackClient(
      { doc: h.db().doc, tables: h.db().names, policy: { current: () => policy }, clock: h.clock() },
      silentLogger,
    )(web);
    const deps = {
      store: h.db().requests,
      audit: h.db().audit,
      policy: { current: () => policy },
      clock: h.clock(),
      ids: new SequentialIds('esc-'),
      events,
      queue: new RecordingQueue(),
      logger: silentLogger,
    };
    h.clock().advance(30 * 60);
    await followUpPendingRequests(deps);
    await followUpPendingRequests(deps);
    const notices = h.slack.callsOf('chat.postMessage');
    expect(notices.map((c) => c.args.channel)).toEqual(['UONCALL1']);
    expect(textOf(notices[0]!.args)).toContain('Escalated: stage 1 of 2 (team leads)');
    expect(textOf(notices[0]!.args)).toContain(ACTIONS.approve);

    // The backup approver decides the stage from the notice.
    h.slack.reset();
    await click('UONCALL1', id);
    expect(await h.db().requests.get(id)).toMatchObject({ status: 'PENDING', stage: 1 });
    expect(await h.auditTypes(id)).toEqual([
      'request.submitted',
      'request.escalated',
      'request.approval-recorded',
    ]);
  });
});
