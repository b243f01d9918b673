import {
  blockAction,
  commandBody,
  interactionBody,
  multiSelectState,
  selectState,
  textState,
  viewSubmission,
  type StateValues,
} from '../../shared/adapters/sandbox/slack-payloads.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../shared/adapters/slack/ids.js';
import { slackSignature } from '../../shared/adapters/slack/signature.js';

/**
 * The end-to-end scenario of the local broker, played over HTTP exactly as Slack and an
 * auditor would: signed slash commands, modal submissions and button clicks, then audit
 * queries. `npm run demo` prints it as a timeline; test/functions/local runs it as a test.
 * It uses the people and targets of policy/example.yaml.
 */

export const PEOPLE = {
  requester: 'U0DEV00001',
  lead: 'U0LEAD0001',
  security: 'U0SEC00001',
} as const;

export interface ScenarioBroker {
  /** The broker's base URL. */
  readonly url: string;
  readonly signingSecret: string;
  /** Moves the broker's clock (only an in-process broker can); expiry is skipped without it. */
  readonly advanceClock?: (seconds: number) => void;
}

export interface ScenarioStep {
  readonly name: string;
  readonly ms: number;
  readonly detail: string;
}

/** A step whose outcome was not what the scenario expects. */
export class ScenarioError extends Error {}

interface SandboxView {
  readonly aws: {
    readonly groups: Record<string, string[]>;
    readonly history: { action: string; detail: Record<string, unknown> }[];
    readonly identityCenter?: {
      readonly assignments: { accountId: string; accountName: string; status: string }[];
      readonly inlinePolicies: Record<string, string>;
    };
  } | null;
  readonly slack: { method: string; args: Record<string, unknown> }[] | null;
  readonly deadLetters: unknown[];
}

interface AuditItem {
  readonly type: string;
  readonly requestId: string;
  readonly actor: string;
  readonly toStatus?: string;
  readonly detail?: Record<string, unknown>;
}

/** The two accounts of the example policy's permission-set target (shop-admin). */
export const SHOP_ACCOUNTS = ['444455556666', '777788889999'] as const;

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ScenarioError(message);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new ScenarioError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Finds the value of the first button with `actionId` in a Block Kit list. */
function buttonValue(blocks: unknown, actionId: string): string | undefined {
  const text = typeof blocks === 'string' ? blocks : JSON.stringify(blocks ?? []);
  const parsed = JSON.parse(text) as { elements?: { action_id?: string; value?: string }[] }[];
  for (const block of parsed) {
    for (const element of block.elements ?? []) if (element.action_id === actionId) return element.value;
  }
  return undefined;
}

export async function playScenario(
  broker: ScenarioBroker,
  onStep: (step: ScenarioStep) => void = () => undefined,
): Promise<ScenarioStep[]> {
  const steps: ScenarioStep[] = [];
  const started = Date.now();
  // The broker's clock as this scenario moved it (an in-process broker's clock is moved, never set).
  let movedSeconds = 0;
  const advanceClock = broker.advanceClock
    ? (seconds: number) => {
        movedSeconds += seconds;
        broker.advanceClock!(seconds);
      }
    : undefined;
  const brokerNow = () => Date.now() + movedSeconds * 1000;
  const step = (name: string, detail: string) => {
    const entry = { name, ms: Date.now() - started, detail };
    steps.push(entry);
    onStep(entry);
  };

  const slack = async (body: string): Promise<{ status: number; text: string }> => {
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${broker.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(broker.signingSecret, timestamp, body),
      },
      body,
    });
    const result = { status: response.status, text: await response.text() };
    expect(result.status === 200, `Slack request answered ${result.status}: ${result.text.slice(0, 200)}`);
    expect(!result.text.includes('"response_action":"errors"'), `the modal showed errors: ${result.text}`);
    return result;
  };
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${broker.url}${path}`);
    expect(response.ok, `GET ${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  const sandbox = () => getJson<SandboxView>('/sandbox');
  const slackCalls = async (method: string) =>
    ((await sandbox()).slack ?? []).filter((c) => c.method === method);
  const auditOf = async (requestId: string) =>
    (await getJson<{ items: AuditItem[] }>(`/audit/events?requestId=${requestId}&limit=100`)).items;
  const waitForEvent = (requestId: string, type: string) =>
    waitFor(`${type} of ${requestId}`, async () => {
      const events = await auditOf(requestId);
      return events.some((e) => e.type === type) ? events : undefined;
    });

  /** Runs a sweep now; 409: the timer's sweep is running (it began before the clock moved): ask again once it ends. */
  const sweep = async () => {
    let response = await fetch(`${broker.url}/sweep`, { method: 'POST' });
    for (let tries = 0; response.status === 409 && tries < 50; tries += 1) {
      await new Promise((r) => setTimeout(r, 200));
      response = await fetch(`${broker.url}/sweep`, { method: 'POST' });
    }
    expect(response.ok, `POST /sweep answered ${response.status}`);
  };

  const submitRequest = async (targetId: string, fields: StateValues): Promise<string> => {
    const postsBefore = (await slackCalls('chat.postMessage')).length;
    await slack(commandBody(COMMANDS.requestAccess, PEOPLE.requester));
    const opened = await slackCalls('views.open');
    expect(opened.length > 0, '/request-access opened no modal');
    await slack(
      interactionBody(
        viewSubmission(PEOPLE.requester, CALLBACKS.requestModal, {
          ...selectState(BLOCKS.target, ACTIONS.target, targetId),
          ...fields,
        }),
      ),
    );
    return waitFor(`the approval post for ${targetId}`, async () => {
      const posts = (await slackCalls('chat.postMessage')).slice(postsBefore);
      for (const post of posts) {
        const value = buttonValue(post.args.blocks, ACTIONS.approve);
        if (value) return value;
      }
      return undefined;
    });
  };
  const approve = (approver: string, requestId: string) =>
    slack(
      interactionBody(blockAction(approver, ACTIONS.approve, requestId, { channel: 'C0APPROVAL1', ts: '1' })),
    );
  const homeClick = (actionId: string, requestId: string) =>
    slack(
      interactionBody(
        blockAction(PEOPLE.requester, actionId, requestId, { view: { id: 'V0HOME0001', type: 'home' } }),
      ),
    );

  // 1. A developer asks for the developers group; a lead approves; the worker grants.
  const groupRequest = await submitRequest('developers', {
    ...textState(BLOCKS.duration, ACTIONS.duration, '2h'),
    ...textState(BLOCKS.reason, ACTIONS.reason, 'Deploy hotfix 4.2.1 to staging'),
  });
  step(
    'request',
    `${PEOPLE.requester} asked for "developers" for 2h → ${groupRequest} posted to the approvers`,
  );
  await approve(PEOPLE.lead, groupRequest);
  step('approve', `${PEOPLE.lead} approved ${groupRequest}`);
  await waitForEvent(groupRequest, 'grant.activated');
  const members = (await sandbox()).aws?.groups['jit-developers'] ?? [];
  if ((await sandbox()).aws) expect(members.length === 1, `jit-developers has ${members.length} members`);
  step('grant', `${groupRequest} ACTIVE: AddUserToGroup jit-developers ${members.join(', ')}`);

  // 2. The prod operator role: a ticket and two distinct approvers; credentials on demand.
  const roleRequest = await submitRequest('prod-operator', {
    ...textState(BLOCKS.duration, ACTIONS.duration, '1h'),
    ...textState(BLOCKS.reason, ACTIONS.reason, 'Rotate the production database credentials'),
    ...textState(BLOCKS.ticket, ACTIONS.ticket, 'OPS-1234'),
  });
  await approve(PEOPLE.lead, roleRequest);
  const afterOne = await auditOf(roleRequest);
  expect(
    afterOne.some((e) => e.type === 'request.approval-recorded') &&
      !afterOne.some((e) => e.type === 'request.approved'),
    'one approval of two must not approve the request',
  );
  await approve(PEOPLE.security, roleRequest);
  await waitForEvent(roleRequest, 'grant.activated');
  step(
    'approve 2 of 2',
    `${roleRequest} (prod-operator, OPS-1234) approved by ${PEOPLE.lead} and ${PEOPLE.security}`,
  );
  const updatesBefore = (await slackCalls('views.update')).length;
  await homeClick(ACTIONS.getCredentials, roleRequest);
  const modal = await waitFor('the credentials modal', async () => {
    const updates = (await slackCalls('views.update')).slice(updatesBefore);
    return updates.find((u) => JSON.stringify(u.args.view).includes('AWS_ACCESS_KEY_ID'));
  });
  expect(!JSON.stringify(modal.args).includes('"channel"'), 'credentials must only go to the private modal');
  await waitForEvent(roleRequest, 'session.issued');
  step(
    'credentials',
    `AssumeRole as ${PEOPLE.requester}'s source identity; console link and CLI lines in a private modal`,
  );

  // 3. Release the group early; the sweeper ends the role grant at its end.
  await homeClick(ACTIONS.release, groupRequest);
  await waitForEvent(groupRequest, 'grant.released');
  const after = (await sandbox()).aws?.groups['jit-developers'] ?? [];
  expect(after.length === 0, 'the released membership is still there');
  step('release', `${groupRequest} released early: RemoveUserFromGroup, REVOKED`);

  if (advanceClock) {
    advanceClock(2 * 3600);
    await sweep();
    await waitForEvent(roleRequest, 'grant.expired');
    step(
      'expiry',
      `two hours later the sweeper expired ${roleRequest} (its session policy had already ended it)`,
    );
  } else {
    step('expiry', 'skipped: a running broker keeps real time (the in-process demo moves its clock)');
  }

  // 4. Identity Center: a permission set in two accounts, a scheduled grant, a grace extension.
  if (advanceClock) await playIdentityCenter();
  else
    step(
      'identity center',
      'skipped: a running broker keeps real time (the in-process demo moves its clock)',
    );

  // 5. The auditor's view: the whole story, in order, and an intact chain.
  const groupEvents = (await auditOf(groupRequest)).map((e) => e.type).reverse();
  const expected = [
    'request.submitted',
    'request.approved',
    'grant.activated',
    'grant.end-requested',
    'grant.released',
  ];
  expect(
    JSON.stringify(groupEvents) === JSON.stringify(expected),
    `audit of ${groupRequest}: ${groupEvents.join(', ')}`,
  );
  const roleEvents = (await auditOf(roleRequest)).map((e) => e.type).reverse();
  step(
    'audit query',
    `${groupRequest}: ${groupEvents.join(' → ')}; ${roleRequest}: ${roleEvents.join(' → ')}`,
  );
  const verify = await getJson<{ ok: boolean; chains: { verified: number }[] }>('/audit/verify');
  const verified = verify.chains.reduce((n, c) => n + c.verified, 0);
  expect(verify.ok, 'audit verify reported a broken chain');
  step('verify', `hash chains intact: ${verified} events verified`);
  expect((await sandbox()).deadLetters.length === 0, 'a grant job was dead-lettered');
  return steps;

  async function playIdentityCenter(): Promise<void> {
    const move = advanceClock!;
    const [staging, production] = SHOP_ACCOUNTS;
    // A permission set asked for in two accounts: one approval, one grant per account.
    const psRequest = await submitRequest('shop-admin', {
      ...multiSelectState(BLOCKS.accounts, ACTIONS.accounts, [...SHOP_ACCOUNTS]),
      ...textState(BLOCKS.duration, ACTIONS.duration, '1h'),
      ...textState(BLOCKS.reason, ACTIONS.reason, 'Investigate the checkout outage in both shop accounts'),
    });
    const secondGrant = `${psRequest}-${production}`;
    await approve(PEOPLE.lead, psRequest);
    const activated = await waitForEvent(psRequest, 'grant.activated');
    await waitForEvent(secondGrant, 'grant.activated');
    const assignments = (await sandbox()).aws?.identityCenter?.assignments ?? [];
    expect(
      assignments.length === 2 && assignments.every((a) => a.status === 'SUCCEEDED'),
      `expected two landed assignments, got ${JSON.stringify(assignments)}`,
    );
    const endsAt = activated.find((e) => e.type === 'grant.activated')?.detail?.endsAt;
    step(
      'permission set',
      `${psRequest} shop-admin (AdministratorAccess) approved once by ${PEOPLE.lead}: CreateAccountAssignment IN_PROGRESS → SUCCEEDED in ${assignments.map((a) => `${a.accountName} (${a.accountId})`).join(' and ')}; ends ${String(endsAt)}`,
    );

    // A scheduled grant: auto-approved now, activated by the sweeper at its start.
    const startAt = Math.floor(brokerNow() / 1000) + 20 * 60;
    const scheduled = await submitScheduled('testers', startAt);
    const early = await auditOf(scheduled);
    expect(
      early.some((e) => e.type === 'request.auto-approved') &&
        !early.some((e) => e.type === 'grant.activated'),
      'a scheduled grant must be approved now and activated only at its start',
    );
    move(51 * 60);
    await sweep();
    await waitForEvent(scheduled, 'grant.activated');
    step(
      'scheduled start',
      `${scheduled} (testers) approved at once for ${new Date(startAt * 1000).toISOString()}; the sweeper activated it at its start`,
    );

    // Ten minutes before its end the holder is warned; the grace "Extend" adds time at once.
    const warning = await waitFor('the expiry warning with its Extend button', async () => {
      for (const post of await slackCalls('chat.postMessage')) {
        if (buttonValue(post.args.blocks, ACTIONS.graceExtend) === psRequest) return post;
      }
      return undefined;
    });
    const dm = String(warning.args.channel);
    await slack(
      interactionBody(
        blockAction(PEOPLE.requester, ACTIONS.graceExtend, psRequest, { channel: dm, ts: '3' }),
      ),
    );
    const extended = await waitFor('the grace extension', async () =>
      (await slackCalls('chat.postEphemeral')).find((c) => String(c.args.text).includes('is extended until')),
    );
    // The extension is a grant of the same account, activated beside the one it extends.
    const graceGrant = await waitFor('the grace extension grant active', async () => {
      const events = (await getJson<{ items: AuditItem[] }>('/audit/events?target=shop-admin&limit=100'))
        .items;
      return events.find(
        (e) => e.type === 'grant.activated' && e.requestId !== psRequest && e.requestId !== secondGrant,
      );
    });
    expect(
      graceGrant.detail?.account === staging,
      `the grace extension must stay in ${staging}: ${JSON.stringify(graceGrant.detail)}`,
    );
    step(
      'grace',
      `expiry warning DM'd; Extend (grace, once, 30m) approved at once: ${String(extended.args.text)}`,
    );

    // Past every end (the grace extension's too): assignments deleted, and live portal sessions
    // sealed in each account (a seal lives as long as a session it denies could: one hour here).
    move(45 * 60);
    const sealed = await waitFor(
      'both account grants expired and sealed',
      async () => {
        await sweep();
        const first = await auditOf(psRequest);
        const second = await auditOf(secondGrant);
        const expiredSecond = second.find((e) => e.type === 'grant.expired');
        return first.some((e) => e.type === 'grant.expired') && expiredSecond ? expiredSecond : undefined;
      },
      30_000,
    );
    const aws = (await sandbox()).aws;
    const policies = Object.values(aws?.identityCenter?.inlinePolicies ?? {}).join('');
    expect(
      sealed.detail?.sessionSeal === 'sealed',
      `the seal of ${secondGrant}: ${JSON.stringify(sealed.detail)}`,
    );
    expect(
      (aws?.identityCenter?.assignments ?? []).length === 0 &&
        SHOP_ACCOUNTS.every((a) => policies.includes(`JitSeal${a}`)),
      `the assignments must be gone and both accounts sealed: ${JSON.stringify(aws?.identityCenter)}`,
    );
    step(
      'expiry + seal',
      `${psRequest} and ${secondGrant} expired: DeleteAccountAssignment, then a JitSeal deny (sessions issued before ${String(sealed.detail?.sealedBefore)}) in ${staging} and ${production}, ProvisionPermissionSet`,
    );
  }

  async function submitScheduled(targetId: string, startSeconds: number): Promise<string> {
    await slack(commandBody(COMMANDS.requestAccess, PEOPLE.requester));
    await slack(
      interactionBody(
        viewSubmission(PEOPLE.requester, CALLBACKS.requestModal, {
          ...selectState(BLOCKS.target, ACTIONS.target, targetId),
          ...textState(BLOCKS.duration, ACTIONS.duration, '1h'),
          ...textState(BLOCKS.reason, ACTIONS.reason, 'Regression tests of the 4.3 release'),
          [BLOCKS.start]: { [ACTIONS.start]: { type: 'datetimepicker', selected_date_time: startSeconds } },
        }),
      ),
    );
    // Auto-approved, so no approval post: its id is in the target's audit trail (the first on it).
    return waitFor('the scheduled request', async () => {
      const items = (await getJson<{ items: AuditItem[] }>(`/audit/events?target=${targetId}&limit=100`))
        .items;
      return items.find((e) => e.type === 'request.submitted')?.requestId;
    });
  }
}
