import {
  blockAction,
  commandBody,
  interactionBody,
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
  } | null;
  readonly slack: { method: string; args: Record<string, unknown> }[] | null;
  readonly deadLetters: unknown[];
}

interface AuditItem {
  readonly type: string;
  readonly requestId: string;
  readonly actor: string;
  readonly toStatus?: string;
}

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

  if (broker.advanceClock) {
    broker.advanceClock(2 * 3600);
    // 409: the timer's sweep is running (it began before the clock moved): ask again once it ends.
    let response = await fetch(`${broker.url}/sweep`, { method: 'POST' });
    for (let tries = 0; response.status === 409 && tries < 50; tries += 1) {
      await new Promise((r) => setTimeout(r, 200));
      response = await fetch(`${broker.url}/sweep`, { method: 'POST' });
    }
    expect(response.ok, `POST /sweep answered ${response.status}`);
    await waitForEvent(roleRequest, 'grant.expired');
    step(
      'expiry',
      `two hours later the sweeper expired ${roleRequest} (its session policy had already ended it)`,
    );
  } else {
    step('expiry', 'skipped: a running broker keeps real time (the in-process demo moves its clock)');
  }

  // 4. The auditor's view: the whole story, in order, and an intact chain.
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
}
