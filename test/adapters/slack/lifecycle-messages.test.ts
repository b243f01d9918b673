import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackDirectory } from '../../../shared/adapters/slack/directory.js';
import { InMemorySlackMessageStore } from '../../../shared/adapters/slack/message-store.js';
import { SlackNotifier } from '../../../shared/adapters/slack/notifier.js';
import type { AccountDirectory } from '../../../shared/domain/account-directory.js';
import type { Target } from '../../../shared/domain/policy.js';
import type { AccessRequest } from '../../../shared/domain/request.js';
import { grantNames } from '../../../shared/usecases/grant-names.js';
import { grantRecord } from '../../support/fake-aws.js';
import { fakeWorld, type FakeWorld } from '../../support/fakes.js';
import {
  PERMISSION_SET_TARGET,
  PROD_ACCOUNT,
  permissionSetPolicyYaml,
} from '../../support/permission-set-policy.js';
import { SlackStandIn, standInWebClient } from '../../support/slack.js';

/**
 * The lifecycle DMs (the expiry warning, the scheduled-approval notice) of a permission-set
 * grant name its account as "name (id)", like the approval post and App Home do.
 */
const slack = new SlackStandIn();
let world: FakeWorld;
let notifier: SlackNotifier;

const directory: AccountDirectory = {
  nameOf: async (id) => (id === PROD_ACCOUNT ? 'Prod' : undefined),
  accountsFor: async () => undefined,
  accessNameOf: async () => 'AdministratorAccess',
};

beforeAll(async () => {
  await slack.start();
});
afterAll(async () => {
  await slack.stop();
});
beforeEach(() => {
  slack.reset();
  world = fakeWorld(permissionSetPolicyYaml());
  const client = standInWebClient(slack);
  notifier = new SlackNotifier(
    client,
    world.deps.policy,
    new SlackDirectory(client, world.clock),
    new InMemorySlackMessageStore(),
    undefined,
    undefined,
    (request: AccessRequest, target: Target | undefined) => grantNames(directory, request, target),
  );
});

const grant = (fields: Partial<AccessRequest>) =>
  grantRecord({
    id: 'req-ps-1',
    targetId: PERMISSION_SET_TARGET,
    targetKind: 'permission-set',
    account: PROD_ACCOUNT,
    startsAt: '2026-11-27T09:00:00.000Z',
    endsAt: '2026-11-27T10:00:00.000Z',
    ...fields,
  });

describe('lifecycle DMs of a permission-set grant', () => {
  it.each([
    {
      description: 'the expiry warning',
      kind: 'grant-expiring' as const,
      fields: { status: 'ACTIVE' as const },
    },
    {
      description: 'the scheduled-approval notice',
      kind: 'request-approved' as const,
      fields: { status: 'APPROVED' as const, scheduledStartsAt: '2026-11-27T09:00:00.000Z' },
    },
  ])('$description names the account "name (id)"', async ({ kind, fields }) => {
    await notifier.handle({ kind, request: grant(fields) });
    const dm = slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'UDEV1');
    expect(JSON.stringify(dm?.args)).toContain(`AdministratorAccess in Prod (${PROD_ACCOUNT})`);
  });
});
