import type { WebClient } from '@slack/web-api';
import { InProcessEventBus } from '../../shared/adapters/events/event-bus.js';
import { SlackDirectory } from '../../shared/adapters/slack/directory.js';
import {
  DynamoSlackMessageStore,
  type SlackMessageStore,
} from '../../shared/adapters/slack/message-store.js';
import { SlackNotifier } from '../../shared/adapters/slack/notifier.js';
import type { Clock, EventPublisher, EventSubscriber, PolicySource } from '../../shared/domain/ports.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import type { AuditReader } from '../../shared/domain/audit-query.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import type { AccountDirectory } from '../../shared/domain/account-directory.js';
import type { Target } from '../../shared/domain/policy.js';
import { grantNames } from '../../shared/usecases/grant-names.js';
import type { UseCaseLogger } from '../../shared/usecases/deps.js';
import { requesterHistory } from '../../shared/usecases/requester-history.js';
import { storedActivitySummary } from '../../shared/usecases/summarise-activity.js';
import type { BaseWiring } from './base-wiring.js';

/**
 * The event subscribers, registered here and nowhere else: every entry point (Slack function,
 * grant worker, sweeper, local runner) publishes to a bus built by {@link createEventBus}.
 * A new subscriber (e-mail, a console's live view, an archive) is one adapter implementing
 * EventSubscriber plus one line in {@link subscribersOf}.
 */
export interface SubscriberPorts {
  /** The Slack subscriber: a Web API client and its message store. */
  readonly slack: { readonly web: WebClient; readonly messages: SlackMessageStore };
  readonly policy: PolicySource;
  readonly clock: Clock;
  /** The audit reader the approval post's requester history is read from (none: no history). */
  readonly audit?: AuditReader;
  /** Account and permission-set names for the messages (none: account ids alone). */
  readonly accounts?: AccountDirectory;
}

/** Every registered subscriber, built over its ports. */
export function subscribersOf(ports: SubscriberPorts): EventSubscriber[] {
  const { web, messages } = ports.slack;
  const { audit, clock, accounts } = ports;
  const history =
    audit === undefined
      ? undefined
      : (request: AccessRequest) => requesterHistory({ reader: audit, clock }, request);
  const activity =
    audit === undefined
      ? undefined
      : (request: AccessRequest) => storedActivitySummary(audit, request.id, clock.now());
  const names =
    accounts === undefined
      ? undefined
      : (request: AccessRequest, target: Target | undefined) => grantNames(accounts, request, target);
  return [
    new SlackNotifier(
      web,
      ports.policy,
      new SlackDirectory(web, ports.clock),
      messages,
      history,
      activity,
      names,
    ),
  ];
}

/** The in-process bus with the given subscribers registered. */
export function createEventBus(
  logger: UseCaseLogger,
  subscribers: readonly EventSubscriber[],
  options: { readonly deadlineMs?: number } = {},
): InProcessEventBus {
  const bus = new InProcessEventBus({
    logger,
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
  });
  subscribers.forEach((subscriber) => bus.register(subscriber));
  return bus;
}

/** The Slack subscriber's message store of a wiring: items beside the requests, in their table. */
export function slackMessageStore(base: Pick<BaseWiring, 'doc' | 'tables'>): SlackMessageStore {
  return new DynamoSlackMessageStore(base.doc, base.tables.requests);
}

/**
 * The publisher of an entry point that has a Slack Web API client (the Slack function, whose
 * client comes from the Slack app; the grant side, once it read the bot token): the
 * registered subscribers over the wiring's ports.
 */
export function eventsOverSlackClient(
  base: Pick<BaseWiring, 'doc' | 'tables' | 'policy' | 'clock'>,
  logger: UseCaseLogger,
  /** Names accounts and permission sets in the messages (none: account ids alone). */
  accounts?: AccountDirectory,
): (web: WebClient) => EventPublisher {
  return slackClientEvents(
    {
      policy: base.policy,
      clock: base.clock,
      messages: slackMessageStore(base),
      audit: new DynamoAuditQuery(base.doc, base.tables.audit),
      ...(accounts === undefined ? {} : { accounts }),
    },
    logger,
  );
}

/** {@link eventsOverSlackClient} over any message store (tests with in-memory ports). */
export function slackClientEvents(
  ports: Omit<SubscriberPorts, 'slack'> & { readonly messages: SlackMessageStore },
  logger: UseCaseLogger,
): (web: WebClient) => EventPublisher {
  const { messages, ...rest } = ports;
  return (web) => createEventBus(logger, subscribersOf({ ...rest, slack: { web, messages } }));
}
