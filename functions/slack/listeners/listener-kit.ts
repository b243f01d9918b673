import type { App, BlockAction, ViewOutput, ViewResponseAction, webApi } from '@slack/bolt';
import { tryParseDuration } from '../../../shared/domain/duration.js';
import { AlreadyDecidedError, BrokerError } from '../../../shared/domain/errors.js';
import { slackPerson, type ResolvedPerson } from '../../../shared/domain/person.js';
import type { RequestDeps, UseCaseLogger } from '../../../shared/usecases/deps.js';
import { identifyPerson, resolvePerson, type PeopleDeps } from '../../../shared/usecases/identify-person.js';
import { listMyAccess } from '../../../shared/usecases/list-my-access.js';
import { grantNames } from '../../../shared/usecases/grant-names.js';
import type { GrantNames } from '../../../shared/domain/grant-names.js';
import { findTarget } from '../../../shared/domain/policy.js';
import type { AccessRequest } from '../../../shared/domain/request.js';
import { listRevocableGrants } from '../../../shared/usecases/revoke-access.js';
import { ACTIONS, BLOCKS } from '../../../shared/adapters/slack/ids.js';
import { operatorFix, slackApiFailure } from '../../../shared/adapters/slack/slack-api-error.js';
import type { ModalView } from '../../../shared/adapters/slack/views/blocks.js';
import { homeView } from '../home-view.js';

/*
 * The listener kit: what every listener module is built from. The context they register
 * against (app, client, use-case ports, a person's Slack replies), the error-to-text rule,
 * and the registration helpers for buttons, modal openers and request-shaped forms.
 */

/** The structured logger the Slack function writes to (Powertools Logger in AWS). */
export interface SlackAppLogger extends UseCaseLogger {
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What every listener module registers against: the app, its adapters and a few shared replies. */
export interface ListenerContext {
  readonly app: App;
  readonly client: webApi.WebClient;
  readonly deps: RequestDeps;
  /** Who people are: the policy and the Slack directory, for resolving a Slack user. */
  readonly people: PeopleDeps;
  readonly logger: SlackAppLogger;
  /** A message only `userId` sees: in `channel` when there is one, else as a direct message. */
  ephemeral(userId: string, channel: string | undefined, text: string): Promise<void>;
  /** Publishes `userId`'s Home tab (their access), with an optional notice on top. */
  publishHome(userId: string, notice?: string): Promise<void>;
  /**
   * The text to show a person for `error`: exposed messages, and what an operator must fix
   * when Slack refused a call; anything else is logged and shown as a generic text.
   */
  describeError(error: unknown, where: string): string;
}

/** What a person is told when the failure is ours and its details stay in the logs. */
export const GENERIC_ERROR = 'Something went wrong; it has been logged. Please try again.';

/** Slack's "plain text" message for a person, from any error: exposed messages only. */
function describeError(error: unknown, logger: SlackAppLogger, where: string): string {
  if (error instanceof AlreadyDecidedError) return error.message;
  const slackFailure = slackApiFailure(error);
  if (slackFailure) {
    // Slack refused a call: its code says what an operator must fix (never log the token).
    logger.error('slack api call failed', {
      where,
      slackError: slackFailure.error,
      ...(slackFailure.needed ? { needed: slackFailure.needed } : {}),
    });
    return operatorFix(slackFailure);
  }
  if (error instanceof BrokerError && error.expose) return error.message;
  // Why: internal messages may name tables, ARNs or tokens; log the code and name only.
  logger.error('slack listener failed', {
    where,
    code: error instanceof BrokerError ? error.code : undefined,
    error: error instanceof Error ? error.name : typeof error,
    detail: error instanceof BrokerError ? error.message : undefined,
  });
  return GENERIC_ERROR;
}

export function createListenerContext(
  parts: Pick<ListenerContext, 'app' | 'client' | 'deps' | 'people' | 'logger'>,
): ListenerContext {
  const { client, deps, people, logger } = parts;
  return {
    ...parts,
    async ephemeral(userId, channel, text) {
      if (channel) await client.chat.postEphemeral({ channel, user: userId, text });
      else await client.chat.postMessage({ channel: userId, text });
    },
    async publishHome(userId, notice) {
      const person = await resolvePerson(people, slackPerson(userId));
      const [access, othersLive] = await Promise.all([
        listMyAccess(deps, person),
        listRevocableGrants(deps, person),
      ]);
      const shown = [
        ...access.live.map((grant) => grant.request),
        ...access.scheduled,
        ...access.pending,
        ...othersLive.grants,
      ];
      const names = await namesByRequest(deps, shown);
      await client.views.publish({
        user_id: userId,
        view: homeView(access, notice, othersLive.grants, othersLive.more, names),
      });
    },
    describeError: (error, where) => describeError(error, logger, where),
  };
}

/** The account and permission-set names of each request shown, by request id (ids when unknown). */
async function namesByRequest(
  deps: RequestDeps,
  requests: readonly AccessRequest[],
): Promise<ReadonlyMap<string, GrantNames>> {
  const policy = deps.policy.current();
  const named = await Promise.all(
    requests.map(
      async (request) =>
        [request.id, await grantNames(deps.accounts, request, findTarget(policy, request.targetId))] as const,
    ),
  );
  return new Map(named);
}

/** Where a button listener shows a failure to the person who clicked. */
export type ButtonReport = (userId: string, channel: string | undefined, message: string) => Promise<unknown>;

export interface ButtonClick {
  /** The button's value: buttons carry the request id. */
  readonly requestId: string;
  readonly userId: string;
  readonly channel: string | undefined;
  readonly body: BlockAction;
}

/**
 * Registers a button: acks at once, hands the request id to `handle`, and shows a failure to
 * the clicker through `report` (by default an ephemeral message where they clicked).
 */
export function onButton(
  ctx: ListenerContext,
  actionId: string,
  where: string,
  handle: (click: ButtonClick) => Promise<unknown>,
  report: ButtonReport = (userId, channel, message) => ctx.ephemeral(userId, channel, message),
): void {
  ctx.app.action<BlockAction>(
    { action_id: actionId, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      const userId = body.user.id;
      const channel = body.channel?.id;
      try {
        await handle({ requestId, userId, channel, body });
      } catch (error) {
        await report(userId, channel, ctx.describeError(error, where));
      }
    },
  );
}

/** A ButtonReport for Home tab buttons: the failure becomes the Home notice, best effort. */
export function reportOnHome(ctx: ListenerContext): ButtonReport {
  return (userId, _channel, message) => ctx.publishHome(userId, message).catch(() => undefined);
}

/**
 * A modal people open two ways: by slash command (a refusal is the command's ephemeral reply)
 * and by a Home tab button (a refusal is the Home notice). `open` says why not, or opens it.
 */
export function registerModalOpener(
  ctx: ListenerContext,
  opener: {
    readonly command: string;
    readonly homeAction: string;
    readonly where: { readonly command: string; readonly home: string };
    readonly open: (userId: string, triggerId: string, text?: string) => Promise<string | undefined>;
  },
): void {
  ctx.app.command(opener.command, async ({ command, ack }) => {
    let problem: string | undefined;
    try {
      problem = await opener.open(command.user_id, command.trigger_id, command.text);
    } catch (error) {
      problem = ctx.describeError(error, opener.where.command);
    }
    await ack(problem === undefined ? undefined : { response_type: 'ephemeral', text: problem });
  });
  onButton(
    ctx,
    opener.homeAction,
    opener.where.home,
    async ({ userId, body }) => {
      const problem = await opener.open(userId, body.trigger_id);
      if (problem) await ctx.publishHome(userId, problem);
    },
    reportOnHome(ctx),
  );
}

type StateValues = NonNullable<ViewOutput['state']>['values'];

export function textValue(values: StateValues, block: string, action: string): string | undefined {
  const value = values[block]?.[action]?.value;
  return typeof value === 'string' ? value : undefined;
}

export function selectedValue(values: StateValues, block: string, action: string): string | undefined {
  return values[block]?.[action]?.selected_option?.value ?? undefined;
}

type ViewErrors = Record<string, string>;

/** Puts an inline error on `block` if the modal has it, else on the first input it has. */
function errorsFor(view: ViewOutput, block: string, message: string): ViewErrors {
  const present = new Set(view.blocks.map((b) => (b as { block_id?: string }).block_id));
  const fallback = [BLOCKS.target, BLOCKS.duration, BLOCKS.reason, BLOCKS.denyReason].find((b) =>
    present.has(b),
  );
  return { [present.has(block) ? block : (fallback ?? block)]: message.slice(0, 150) };
}

/** The `errors` answer to a view submission: `message` inline on `block` (see errorsFor). */
export function inlineError(view: ViewOutput, block: string, message: string): ViewResponseAction {
  return { response_action: 'errors', errors: errorsFor(view, block, message) };
}

export interface RequestForm {
  readonly targetId?: string;
  readonly durationSeconds?: number;
  readonly reason?: string;
  readonly ticket?: string;
  /** The start picked in the request form (a scheduled grant). */
  readonly startsAt?: Date;
  /** The accounts picked for a permission-set target (one grant per account). */
  readonly accounts?: readonly string[];
}

/** The values picked in a multi-select, or undefined when the form has none. */
export function selectedValues(values: StateValues, block: string, action: string): string[] | undefined {
  const options = (values[block]?.[action] as { selected_options?: { value?: string }[] } | undefined)
    ?.selected_options;
  return options?.map((o) => o.value ?? '').filter((v) => v !== '');
}

/** The date and time picked (Slack sends Unix seconds), or undefined when none was. */
function dateTimeValue(values: StateValues, block: string, action: string): Date | undefined {
  const seconds = (values[block]?.[action] as { selected_date_time?: unknown } | undefined)
    ?.selected_date_time;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
}

/** Reads the request / extend / break-glass form; a bad duration is an inline error. */
function readForm(view: ViewOutput): { form: RequestForm } | { error: ViewResponseAction } {
  const values = view.state.values;
  const durationText = textValue(values, BLOCKS.duration, ACTIONS.duration)?.trim() ?? '';
  const durationSeconds = durationText === '' ? undefined : tryParseDuration(durationText);
  if (durationText !== '' && durationSeconds === undefined) {
    return {
      error: inlineError(
        view,
        BLOCKS.duration,
        `"${durationText.slice(0, 16)}" is not a duration (try 30m, 1h or 1h30m).`,
      ),
    };
  }
  const targetId = selectedValue(values, BLOCKS.target, ACTIONS.target);
  const reason = textValue(values, BLOCKS.reason, ACTIONS.reason);
  const ticket = textValue(values, BLOCKS.ticket, ACTIONS.ticket);
  const startsAt = dateTimeValue(values, BLOCKS.start, ACTIONS.start);
  const accounts = selectedValues(values, BLOCKS.accounts, ACTIONS.accounts);
  return {
    form: {
      ...(accounts === undefined || accounts.length === 0 ? {} : { accounts }),
      ...(startsAt === undefined ? {} : { startsAt }),
      ...(targetId === undefined ? {} : { targetId }),
      ...(durationSeconds === undefined ? {} : { durationSeconds }),
      ...(reason === undefined ? {} : { reason }),
      ...(ticket === undefined ? {} : { ticket }),
    },
  };
}

export interface FormSubmission {
  readonly form: RequestForm;
  readonly view: ViewOutput;
  readonly person: ResolvedPerson;
  /** The submitter's AWS principal (a submitter without one never reaches the handler). */
  readonly principal: string;
  /** The idempotency key: retries and double submits carry the same view id. */
  readonly idempotencyKey: string;
}

/**
 * Registers a request-shaped form (request, extend, break-glass): reads the form, resolves the
 * submitter's AWS identity, and acks with what `handle` returns. A bad duration, a missing
 * identity and any failure become inline errors, the last two on `block`.
 */
export function onRequestForm(
  ctx: ListenerContext,
  callbackId: string,
  where: string,
  block: string,
  handle: (submission: FormSubmission) => Promise<ViewResponseAction>,
): void {
  ctx.app.view(callbackId, async ({ ack, body, view }) => {
    const read = readForm(view);
    if ('error' in read) return ack(read.error);
    try {
      const { person, identity } = await identifyPerson(ctx.people, slackPerson(body.user.id));
      if (!identity.ok) return ack(inlineError(view, block, identity.message));
      const idempotencyKey = `view:${view.id}`;
      return ack(
        await handle({ form: read.form, view, person, principal: identity.principal, idempotencyKey }),
      );
    } catch (error) {
      return ack(inlineError(view, block, ctx.describeError(error, where)));
    }
  });
}

/** The answer that replaces a submitted modal with a closing message. */
export function doneModal(title: string, text: string): ViewResponseAction {
  const view: ModalView = {
    type: 'modal',
    title: { type: 'plain_text', text: title },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
  return { response_action: 'update', view };
}
