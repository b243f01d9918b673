import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { itemToAuditEvent } from '../../../shared/adapters/dynamodb/audit-log.js';
import { AUDIT_INDEX } from '../../../shared/adapters/dynamodb/tables.js';
import type { SlackAppLogger } from '../../../functions/slack/app.js';
import type { AccountDirectory } from '../../../shared/domain/account-directory.js';
import { type AccessPolicy } from '../../../shared/domain/policy.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { createHandler } from '../../../functions/slack/create-handler.js';
import { eventsOverSlackClient } from '../../../functions/wiring/event-wiring.js';
import { ManualClock, RecordingQueue, SequentialIds } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import {
  SlackStandIn,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
  signedEvent,
  type SignedEventOptions,
} from '../../support/slack.js';

/**
 * A policy for the Slack tests: a 1-approval group routed to a channel, a 2-approval role
 * routed by DM (one approver only through a Slack user group), an auto-approved sandbox,
 * break-glass for on-call, an identity override and an email domain.
 */
export const SLACK_TEST_POLICY = parsePolicy(
  `
version: 1
people:
  devs: { users: [UDEV1, UDEV2, UNOMAIL1] }
  leads: { users: [ULEAD1, ULEAD2], userGroups: [SLEADS1] }
  oncall: { users: [UONCALL1] }
  security: { users: [USEC1] }
identities:
  UDEV2: dev-two
identityEmailDomain: example.com
breakGlass: { responders: [oncall], reviewers: [security], securityChannel: CSEC1, maxDuration: 1h }
renotifyAfter: 1h
approvalTimeout: 4h
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs, leads], approvers: [leads], defaultDuration: 1h, maxDuration: 8h, approvalChannel: CAPPROVE1, graceExtension: { max: 30m } }
  - { id: prod-role, kind: role, roleArn: "arn:aws:iam::111122223333:role/jit/Prod", description: Production, requesters: [devs, oncall], approvers: [leads], approvalsRequired: 2, defaultDuration: 1h, maxDuration: 4h, requireTicket: true, breakGlass: true }
  - { id: sandbox, kind: group, groupName: jit-sandbox, description: Sandbox, requesters: [everyone], autoApprove: true, defaultDuration: 1h, maxDuration: 2h, requireReason: false }
`,
  'slack-test-policy',
);

export const EMAILS: Record<string, string> = {
  UDEV1: 'Dev.One@Example.COM',
  ULEAD1: 'lead.one@example.com',
  ULEAD2: 'lead.two@example.com',
  ULEAD3: 'lead.three@example.com',
  UONCALL1: 'oncall@example.com',
  USEC1: 'sec@example.com',
  UOUTSIDER: 'someone@elsewhere.org',
};

export const silentAppLogger: SlackAppLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** One line the Slack function logged. */
export interface LoggedLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

/** A logger that keeps what it is given, for tests that assert on the logs. */
function recordingLogger(lines: LoggedLine[]): SlackAppLogger {
  return {
    info: (message, fields) => void lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => void lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => void lines.push({ level: 'error', message, fields }),
  };
}

const lambdaContext = { awsRequestId: 'test-invocation', functionName: 'slack' } as unknown as Context;

/**
 * The real Slack handler wired to DynamoDB Local tables, a stand-in Slack Web API, a
 * manual clock and a recording grant queue; a fresh one for every test. `policy` defaults to
 * SLACK_TEST_POLICY; `options.accounts` wires an account directory (the accounts picker).
 */
export function useSlackHandler(
  policy: AccessPolicy = SLACK_TEST_POLICY,
  options: { readonly accounts?: AccountDirectory } = {},
) {
  const db = useLocalTables();
  const slack = new SlackStandIn();
  let clock = new ManualClock();
  let queue = new RecordingQueue();
  const logs: LoggedLine[] = [];
  let handler: ReturnType<typeof createHandler>;

  beforeAll(async () => {
    await slack.start();
    for (const [user, email] of Object.entries(EMAILS)) slack.emails.set(user, email);
    slack.userGroups.set('SLEADS1', ['ULEAD3']);
  });
  afterAll(async () => {
    await slack.stop();
  });
  beforeEach(() => {
    slack.reset();
    clock = new ManualClock();
    queue = new RecordingQueue();
    logs.length = 0;
    const logger = recordingLogger(logs);
    handler = createHandler({
      load: async () => ({
        signingSecret: TEST_SIGNING_SECRET,
        botToken: TEST_BOT_TOKEN,
        slackApiUrl: slack.url,
        logger,
        deps: {
          store: db().requests,
          audit: db().audit,
          policy: { current: () => policy },
          clock,
          ids: new SequentialIds(),
          queue,
          logger,
          ...(options.accounts ? { accounts: options.accounts } : {}),
        },
        events: eventsOverSlackClient(
          { doc: db().doc, tables: db().names, policy: { current: () => policy }, clock },
          logger,
          options.accounts,
        ),
      }),
    });
  });

  /** Sends `body` through the real handler, signed like Slack (unless options say otherwise). */
  async function send(body: string, options: SignedEventOptions = {}) {
    return handler(signedEvent(body, options) as never, lambdaContext);
  }

  /** Opens `user`'s Home tab (Slack's app_home_opened event), which publishes it. */
  async function openHome(user: string) {
    const event = { type: 'app_home_opened', user, tab: 'home', channel: `D${user}` };
    const body = { type: 'event_callback', team_id: 'T0TEAM0001', api_app_id: 'A0APP00001', event };
    return send(JSON.stringify({ ...body, event_id: `Ev-${user}`, event_time: 1 }), {
      contentType: 'application/json',
    });
  }

  async function scanAll(table: string) {
    const { Items = [] } = await db().doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    return Items;
  }

  return {
    db,
    slack,
    send,
    openHome,
    clock: () => clock,
    queue: () => queue,
    /** What the function logged during this test. */
    logs: () => logs,
    /** Every stored item of both tables (to prove nothing was written). */
    async storedItems() {
      return [...(await scanAll(db().names.requests)), ...(await scanAll(db().names.audit))];
    },
    /** Audit event types of one request, in order. */
    async auditTypes(requestId: string) {
      const { Items = [] } = await db().doc.send(
        new QueryCommand({
          TableName: db().names.audit,
          IndexName: AUDIT_INDEX.byRequest,
          KeyConditionExpression: 'requestId = :id',
          ExpressionAttributeValues: { ':id': requestId },
        }),
      );
      return Items.map((item) => itemToAuditEvent(item).type);
    },
  };
}
