import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { SandboxIdentityCenter } from '../../../shared/adapters/sandbox/sandbox-identity-center.js';
import { multiSelectState } from '../../../shared/adapters/sandbox/slack-payloads.js';
import { permissionSetAccountDirectory } from '../../../shared/targets/permission-set/account-directory.js';
import {
  blockAction,
  commandBody,
  interactionBody,
  selectState,
  textState,
  viewSubmission,
} from '../../support/slack.js';
import { useSlackHandler } from './harness.js';
import { permissionSetPolicy } from '../../support/permission-set-policy.js';

/**
 * The accounts picker of the request modal, through the real Slack handler: a permission-set
 * target offers exactly the accounts it may be granted in (its account and its OU's active
 * accounts, from the sandbox organization), each "name (id)"; a submission over two accounts
 * becomes two grants under one approval.
 */
const POLICY = permissionSetPolicy(
  { accounts: ['111122223333'], ous: ['ou-jit0-workloads'] },
  'accounts-picker-policy',
);

const directory = permissionSetAccountDirectory(
  new SandboxIdentityCenter(() => ({})).permissionSetAdapters(),
);
const h = useSlackHandler(POLICY, { accounts: directory });

interface SelectElement {
  readonly type: string;
  readonly options: readonly { text: { text: string }; value: string }[];
}

/** The accounts multi-select of a modal, or undefined when it has none. */
function accountsElement(view: unknown): SelectElement | undefined {
  const blocks = (view as { blocks: { block_id?: string; element?: SelectElement }[] }).blocks;
  return blocks.find((b) => b.block_id === BLOCKS.accounts)?.element;
}

/** Chooses `targetId` in an open request modal (the target select's dispatch_action). */
async function chooseTarget(targetId: string) {
  const view = {
    id: 'V0PICK1',
    hash: 'h',
    callback_id: CALLBACKS.requestModal,
    state: { values: selectState(BLOCKS.target, ACTIONS.target, targetId) },
  };
  await h.send(
    interactionBody({
      ...blockAction('UDEV1', ACTIONS.target, '', { view }),
      actions: [
        {
          type: 'static_select',
          action_id: ACTIONS.target,
          block_id: BLOCKS.target,
          selected_option: { value: targetId },
        },
      ],
    }),
  );
  const [update] = h.slack.callsOf('views.update');
  return update?.args.view;
}

function submission(accounts: readonly string[]) {
  return interactionBody(
    viewSubmission('UDEV1', CALLBACKS.requestModal, {
      ...selectState(BLOCKS.target, ACTIONS.target, 'shop-admin'),
      ...multiSelectState(BLOCKS.accounts, ACTIONS.accounts, accounts),
      ...textState(BLOCKS.duration, ACTIONS.duration, null),
      ...textState(BLOCKS.reason, ACTIONS.reason, 'Fix the checkout'),
    }),
  );
}

describe('the request modal’s accounts picker', () => {
  it('appears for a permission-set target and lists exactly its allowed accounts, "name (id)"', async () => {
    const picker = accountsElement(await chooseTarget('shop-admin'));
    expect(picker?.type).toBe('multi_static_select');
    expect(picker?.options.map((o) => [o.value, o.text.text])).toEqual([
      ['111122223333', 'broker (111122223333)'],
      ['444455556666', 'shop-staging (444455556666)'],
      ['777788889999', 'shop-production (777788889999)'],
    ]);
  });

  it('is offered when the command names a permission-set target', async () => {
    await h.send(commandBody(COMMANDS.requestAccess, 'UDEV1', 'shop-admin'));
    const [open] = h.slack.callsOf('views.open');
    expect(accountsElement(open?.args.view)?.options).toHaveLength(3);
  });

  it('does not appear for a target that is not granted per account', async () => {
    expect(accountsElement(await chooseTarget('dev-group'))).toBeUndefined();
  });

  it('refuses a permission-set request with no account picked, inline, and writes nothing', async () => {
    const response = await h.send(submission([]));
    expect(JSON.parse(response.body)).toEqual({
      response_action: 'errors',
      errors: { [BLOCKS.accounts]: 'Choose at least one account.' },
    });
    expect(await h.storedItems()).toEqual([]);
  });

  it('refuses an account the target does not allow (a forged submission), inline', async () => {
    const response = await h.send(submission(['444455556666', '999999999999']));
    expect(JSON.parse(response.body)).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCKS.accounts]: expect.stringContaining('999999999999') },
    });
    expect(await h.storedItems()).toEqual([]);
  });

  it('makes one grant per picked account under one approval', async () => {
    const submitted = await h.send(submission(['444455556666', '777788889999']));
    expect(JSON.parse(submitted.body)).toMatchObject({ response_action: 'update' });
    expect(await h.db().requests.get('req-0001')).toMatchObject({
      status: 'PENDING',
      account: '444455556666',
      accounts: ['444455556666', '777788889999'],
    });
    await h.send(
      interactionBody(
        blockAction('ULEAD1', ACTIONS.approve, 'req-0001', { channel: 'CAPPROVE1', ts: '1.0' }),
      ),
    );
    const first = await h.db().requests.get('req-0001');
    const second = await h.db().requests.get('req-0001-777788889999');
    expect(first).toMatchObject({ status: 'APPROVED', account: '444455556666' });
    expect(second).toMatchObject({
      status: 'APPROVED',
      account: '777788889999',
      requestGroup: 'req-0001',
      approvals: [expect.objectContaining({ approver: 'ULEAD1' })],
    });
    expect(
      h
        .queue()
        .jobs.map((j) => j.requestId)
        .sort(),
    ).toEqual(['req-0001', 'req-0001-777788889999']);
  });

  it('names each account and the permission set on the approval post and its decided form', async () => {
    await h.send(submission(['444455556666', '777788889999']));
    const [post] = h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CAPPROVE1');
    const fields = JSON.stringify(post?.args.blocks);
    expect(fields).toContain('*Accounts*\\nshop-staging (444455556666), shop-production (777788889999)');
    expect(fields).toContain('*Permission set*\\nAdministratorAccess');
    await h.send(
      interactionBody(
        blockAction('ULEAD1', ACTIONS.approve, 'req-0001', { channel: 'CAPPROVE1', ts: '1.0' }),
      ),
    );
    const decided = h.slack.callsOf('chat.update').at(-1);
    expect(JSON.stringify(decided?.args.blocks)).toContain(
      'shop-staging (444455556666), shop-production (777788889999)',
    );
    const approvedDm = h.slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.channel === 'UDEV1' && String(c.args.text).includes('approved'));
    expect(approvedDm?.args.text).toContain(
      '*shop-admin* (AdministratorAccess in shop-staging (444455556666), shop-production (777788889999))',
    );
  });

  it('names the account and the permission set of each pending request on the App Home', async () => {
    await h.send(submission(['777788889999']));
    h.slack.reset();
    await h.openHome('UDEV1');
    const [publish] = h.slack.callsOf('views.publish');
    expect(JSON.stringify(publish?.args.view)).toContain(
      '*shop-admin* · AdministratorAccess in shop-production (777788889999) for 1h',
    );
  });
});
