import {
  App,
  AwsLambdaReceiver,
  SocketModeReceiver,
  LogLevel,
  webApi,
  type BlockAction,
  type Logger as BoltLogger,
  type ViewOutput,
} from '@slack/bolt';
import { decideDenial, MAX_REASON_LENGTH } from '../../domain/decision.js';
import { tryParseDuration } from '../../domain/duration.js';
import { AlreadyDecidedError, BrokerError } from '../../domain/errors.js';
import { isLive } from '../../domain/lifecycle.js';
import { findTarget, isResponder, requestableTargets } from '../../domain/policy.js';
import type { Notifier } from '../../domain/ports.js';
import { approveRequest, denyRequest } from '../../usecases/approve-request.js';
import { breakGlass, reviewBreakGlass } from '../../usecases/break-glass.js';
import type { RequestDeps, UseCaseLogger } from '../../usecases/deps.js';
import { listMyAccess } from '../../usecases/list-my-access.js';
import { releaseGrant } from '../../usecases/release-grant.js';
import { requestCredentials } from '../../usecases/request-credentials.js';
import { submitRequest } from '../../usecases/submit-request.js';
import { SlackDirectory, SlackIdentityResolver } from './directory.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS, FIELD_BLOCKS } from './ids.js';
import { SlackNotifier } from './notifier.js';
import {
  breakGlassModal,
  credentialsFailureModal,
  credentialsLoadingModal,
  decodeMetadata,
  denyModal,
  extendModal,
  homeView,
  requestModal,
  type ModalView,
} from './views.js';

/** The structured logger the Slack function writes to (Powertools Logger in AWS). */
export interface SlackAppLogger extends UseCaseLogger {
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface SlackAppOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  /** The Slack Web API base URL (a stand-in in tests and local runs). */
  readonly slackApiUrl?: string;
  /** The use cases' ports; the notifier defaults to a SlackNotifier on the same client. */
  readonly deps: Omit<RequestDeps, 'notifier'> & { readonly notifier?: Notifier };
  readonly logger: SlackAppLogger;
}

export interface SlackApp<R = AwsLambdaReceiver> {
  readonly app: App;
  readonly receiver: R;
  /** The Web API client every adapter shares (bot token, configured base URL). */
  readonly client: webApi.WebClient;
  readonly deps: RequestDeps;
}

const GENERIC_ERROR = 'Something went wrong; it has been logged. Please try again.';

/** Slack's "plain text" message for a person, from any error: exposed messages only. */
function describeError(error: unknown, logger: SlackAppLogger, where: string): string {
  if (error instanceof AlreadyDecidedError) return error.message;
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

/** Bolt's logger over ours: warnings and errors only, so payloads (debug) never reach the logs. */
function boltLogger(logger: SlackAppLogger): BoltLogger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...msg: unknown[]) => logger.warn('bolt', { detail: msg.map(String).join(' ').slice(0, 500) }),
    error: (...msg: unknown[]) =>
      logger.error('bolt', {
        detail: msg
          .map((m) => (m instanceof Error ? m.name : String(m)))
          .join(' ')
          .slice(0, 500),
      }),
    setLevel: () => undefined,
    getLevel: () => LogLevel.WARN,
    setName: () => undefined,
  };
}

type StateValues = NonNullable<ViewOutput['state']>['values'];

function textValue(values: StateValues, block: string, action: string): string | undefined {
  const value = values[block]?.[action]?.value;
  return typeof value === 'string' ? value : undefined;
}

function selectedValue(values: StateValues, block: string, action: string): string | undefined {
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

interface RequestForm {
  readonly targetId?: string;
  readonly durationSeconds?: number;
  readonly reason?: string;
  readonly ticket?: string;
}

/** Reads the request / extend / break-glass form; a bad duration is an inline error. */
function readForm(view: ViewOutput): { form: RequestForm } | { errors: ViewErrors } {
  const values = view.state.values;
  const durationText = textValue(values, BLOCKS.duration, ACTIONS.duration)?.trim() ?? '';
  const durationSeconds = durationText === '' ? undefined : tryParseDuration(durationText);
  if (durationText !== '' && durationSeconds === undefined) {
    return {
      errors: errorsFor(
        view,
        BLOCKS.duration,
        `"${durationText.slice(0, 16)}" is not a duration (try 30m, 1h or 1h30m).`,
      ),
    };
  }
  const targetId = selectedValue(values, BLOCKS.target, ACTIONS.target);
  const reason = textValue(values, BLOCKS.reason, ACTIONS.reason);
  const ticket = textValue(values, BLOCKS.ticket, ACTIONS.ticket);
  return {
    form: {
      ...(targetId === undefined ? {} : { targetId }),
      ...(durationSeconds === undefined ? {} : { durationSeconds }),
      ...(reason === undefined ? {} : { reason }),
      ...(ticket === undefined ? {} : { ticket }),
    },
  };
}

function doneModal(title: string, text: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/** The idempotency key of a view submission: retries and double submits carry the same view id. */
function submissionKey(view: ViewOutput): string {
  return `view:${view.id}`;
}

/**
 * Builds the Bolt app on its AWS Lambda receiver (request signatures always verified) and
 * registers thin listeners: each reads the payload, calls one use case, and acks with the
 * result. IAM and STS are never called here; the use cases hand that work to the grant queue.
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const receiver = new AwsLambdaReceiver({
    signingSecret: options.signingSecret,
    logger: boltLogger(options.logger),
  });
  return assembleSlackApp(options, receiver);
}

/**
 * The same app over Socket Mode (a Slack app-level token), for the local runner in a real
 * workspace without a public URL: Slack's websocket carries the requests, so there is no
 * HTTP signature to check; the app-level token is the credential.
 */
export function createSocketModeSlackApp(
  options: SlackAppOptions & { readonly appToken: string },
): SlackApp<SocketModeReceiver> {
  const receiver = new SocketModeReceiver({
    appToken: options.appToken,
    logger: boltLogger(options.logger),
    ...(options.slackApiUrl ? { clientOptions: { slackApiUrl: options.slackApiUrl } } : {}),
  });
  return assembleSlackApp(options, receiver);
}

function assembleSlackApp<R extends AwsLambdaReceiver | SocketModeReceiver>(
  options: SlackAppOptions,
  receiver: R,
): SlackApp<R> {
  const { logger } = options;
  const client = new webApi.WebClient(options.botToken, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    // A Lambda has 3 seconds to answer Slack: one quick retry at most, never minutes of backoff.
    retryConfig: { retries: 1, factor: 1, minTimeout: 100, maxTimeout: 300 },
    timeout: 2500,
    logLevel: webApi.LogLevel.ERROR,
  });
  const clock = options.deps.clock;
  const directory = new SlackDirectory(client, clock);
  const resolver = new SlackIdentityResolver(directory, options.deps.policy);
  const deps: RequestDeps = {
    ...options.deps,
    notifier: options.deps.notifier ?? new SlackNotifier(client, options.deps.policy, directory),
  };
  const app = new App({
    token: options.botToken,
    receiver,
    logger: boltLogger(logger),
    clientOptions: client.slackApiUrl ? { slackApiUrl: client.slackApiUrl, retryConfig: { retries: 1 } } : {},
  });
  app.error(async (error) => {
    logger.error('bolt error', { code: (error as { code?: string }).code, error: error.name });
  });

  // Slack re-sends an event it thinks we missed; events here are idempotent views, so skip retries.
  app.use(async ({ context, body, next }) => {
    if (context.retryNum && (body as { type?: string }).type === 'event_callback') {
      logger.info('slack retry ignored', { retryNum: context.retryNum });
      return;
    }
    await next();
  });

  const ephemeral = async (userId: string, channel: string | undefined, text: string) => {
    if (channel) await client.chat.postEphemeral({ channel, user: userId, text });
    else await client.chat.postMessage({ channel: userId, text });
  };

  const publishHome = async (userId: string, notice?: string) => {
    const person = await resolver.person(userId);
    const access = await listMyAccess(deps, person);
    await client.views.publish({ user_id: userId, view: homeView(access, notice) });
  };

  /** Opens the request modal, or says why not (no AWS identity, nothing requestable). */
  const openRequest = async (
    userId: string,
    triggerId: string,
    preselect?: string,
  ): Promise<string | undefined> => {
    const { person, identity } = await resolver.resolve(userId);
    if (!identity.ok) return identity.message;
    const targets = requestableTargets(deps.policy.current(), person);
    if (targets.length === 0) return 'There is nothing in the access policy you may request.';
    await client.views.open({ trigger_id: triggerId, view: requestModal(targets, preselect) });
    return undefined;
  };

  const openBreakGlass = async (userId: string, triggerId: string): Promise<string | undefined> => {
    const policy = deps.policy.current();
    const { person, identity } = await resolver.resolve(userId);
    // Why: only listed responders may even see the break-glass form.
    if (!isResponder(policy, person)) return 'Only on-call responders may break glass.';
    if (!identity.ok) return identity.message;
    const targets = policy.targets.filter((t) => t.breakGlass);
    if (targets.length === 0 || !policy.breakGlass) return 'No target is available through break-glass.';
    await client.views.open({
      trigger_id: triggerId,
      view: breakGlassModal(targets, policy.breakGlass.maxDurationSeconds),
    });
    return undefined;
  };

  // ── Commands ────────────────────────────────────────────────────────────────────────────
  app.command(COMMANDS.requestAccess, async ({ command, ack }) => {
    let problem: string | undefined;
    try {
      problem = await openRequest(command.user_id, command.trigger_id, command.text.trim() || undefined);
    } catch (error) {
      problem = describeError(error, logger, 'request-access');
    }
    await ack(problem === undefined ? undefined : { response_type: 'ephemeral', text: problem });
  });

  app.command(COMMANDS.breakGlass, async ({ command, ack }) => {
    let problem: string | undefined;
    try {
      problem = await openBreakGlass(command.user_id, command.trigger_id);
    } catch (error) {
      problem = describeError(error, logger, 'break-glass');
    }
    await ack(problem === undefined ? undefined : { response_type: 'ephemeral', text: problem });
  });

  // ── The request modal ───────────────────────────────────────────────────────────────────
  app.action<BlockAction>({ action_id: ACTIONS.target, type: 'block_actions' }, async ({ ack, body }) => {
    await ack();
    const view = body.view;
    if (!view || view.callback_id !== CALLBACKS.requestModal) return;
    try {
      const person = await resolver.person(body.user.id);
      const selected = selectedValue(view.state.values, BLOCKS.target, ACTIONS.target);
      const targets = requestableTargets(deps.policy.current(), person);
      await client.views.update({ view_id: view.id, hash: view.hash, view: requestModal(targets, selected) });
    } catch (error) {
      describeError(error, logger, 'request-modal-target');
    }
  });

  app.view(CALLBACKS.requestModal, async ({ ack, body, view }) => {
    const read = readForm(view);
    if ('errors' in read) return ack({ response_action: 'errors', errors: read.errors });
    try {
      const { person, identity } = await resolver.resolve(body.user.id);
      if (!identity.ok)
        return ack({ response_action: 'errors', errors: errorsFor(view, BLOCKS.target, identity.message) });
      if (!read.form.targetId)
        return ack({ response_action: 'errors', errors: errorsFor(view, BLOCKS.target, 'Choose a target.') });
      const result = await submitRequest(deps, {
        ...read.form,
        targetId: read.form.targetId,
        requester: person,
        principal: identity.principal,
        idempotencyKey: submissionKey(view),
      });
      if (result.outcome === 'refused') {
        return ack({
          response_action: 'errors',
          errors: errorsFor(view, FIELD_BLOCKS[result.field ?? 'target'], result.message),
        });
      }
      const text =
        result.outcome === 'approved'
          ? `:white_check_mark: *${result.request.targetId}* was approved automatically; access is being set up.`
          : `:hourglass: Your request for *${result.request.targetId}* went to its approvers. You will get a message when it is decided.`;
      return ack({ response_action: 'update', view: doneModal('Request sent', text) });
    } catch (error) {
      return ack({
        response_action: 'errors',
        errors: errorsFor(view, BLOCKS.target, describeError(error, logger, 'submit')),
      });
    }
  });

  // ── Approvals ───────────────────────────────────────────────────────────────────────────
  app.action<BlockAction>(
    { action_id: ACTIONS.approve, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      try {
        const approver = await resolver.person(body.user.id);
        const result = await approveRequest(deps, { requestId, approver });
        if (result.outcome === 'refused') await ephemeral(body.user.id, body.channel?.id, result.message);
      } catch (error) {
        await ephemeral(body.user.id, body.channel?.id, describeError(error, logger, 'approve'));
      }
    },
  );

  app.action<BlockAction>(
    { action_id: ACTIONS.deny, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      try {
        const [request, person] = await Promise.all([
          deps.store.get(requestId),
          resolver.person(body.user.id),
        ]);
        if (!request)
          return await ephemeral(body.user.id, body.channel?.id, 'This request no longer exists.');
        const allowed = decideDenial(deps.policy.current(), request, person);
        if (!allowed.allowed) return await ephemeral(body.user.id, body.channel?.id, allowed.message);
        await client.views.open({ trigger_id: body.trigger_id, view: denyModal(request) });
      } catch (error) {
        await ephemeral(body.user.id, body.channel?.id, describeError(error, logger, 'deny-open'));
      }
    },
  );

  app.view(CALLBACKS.denyModal, async ({ ack, body, view }) => {
    const { requestId } = decodeMetadata(view.private_metadata);
    const reason = textValue(view.state.values, BLOCKS.denyReason, ACTIONS.denyReason)?.trim() ?? '';
    const inline = (message: string) =>
      ack({ response_action: 'errors', errors: { [BLOCKS.denyReason]: message } });
    if (!requestId) return inline('This form has lost its request; open it again.');
    if (reason === '') return inline('Say why, so the requester knows.');
    if (reason.length > MAX_REASON_LENGTH)
      return inline(`The reason is limited to ${MAX_REASON_LENGTH} characters.`);
    try {
      const approver = await resolver.person(body.user.id);
      const result = await denyRequest(deps, { requestId, approver, reason });
      if (result.outcome === 'refused') return inline(result.message);
      return ack();
    } catch (error) {
      return inline(describeError(error, logger, 'deny'));
    }
  });

  // ── Break-glass ─────────────────────────────────────────────────────────────────────────
  app.view(CALLBACKS.breakGlassModal, async ({ ack, body, view }) => {
    const read = readForm(view);
    if ('errors' in read) return ack({ response_action: 'errors', errors: read.errors });
    try {
      const { person, identity } = await resolver.resolve(body.user.id);
      if (!identity.ok)
        return ack({ response_action: 'errors', errors: errorsFor(view, BLOCKS.target, identity.message) });
      const result = await breakGlass(deps, {
        requester: person,
        principal: identity.principal,
        targetId: read.form.targetId ?? '',
        reason: read.form.reason ?? '',
        ...(read.form.durationSeconds === undefined ? {} : { durationSeconds: read.form.durationSeconds }),
        ...(read.form.ticket === undefined ? {} : { ticket: read.form.ticket }),
        idempotencyKey: submissionKey(view),
      });
      if (result.outcome === 'refused') {
        const block =
          result.reason === 'reason-required' || result.reason === 'reason-too-long'
            ? BLOCKS.reason
            : result.reason === 'invalid-duration' || result.reason === 'duration-over-maximum'
              ? BLOCKS.duration
              : BLOCKS.target;
        return ack({ response_action: 'errors', errors: errorsFor(view, block, result.message) });
      }
      return ack({
        response_action: 'update',
        view: doneModal(
          'Glass broken',
          `:rotating_light: *${result.request.targetId}* is being granted now. Security has been told.`,
        ),
      });
    } catch (error) {
      return ack({
        response_action: 'errors',
        errors: errorsFor(view, BLOCKS.target, describeError(error, logger, 'break-glass')),
      });
    }
  });

  app.action<BlockAction>(
    { action_id: ACTIONS.reviewBreakGlass, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      try {
        const reviewer = await resolver.person(body.user.id);
        await reviewBreakGlass(deps, { requestId, reviewer });
      } catch (error) {
        await ephemeral(body.user.id, body.channel?.id, describeError(error, logger, 'review'));
      }
    },
  );

  // ── App Home: my access ─────────────────────────────────────────────────────────────────
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    try {
      await publishHome(event.user);
    } catch (error) {
      describeError(error, logger, 'home');
    }
  });

  app.action<BlockAction>(
    { action_id: ACTIONS.openRequestModal, type: 'block_actions' },
    async ({ ack, body }) => {
      await ack();
      try {
        const problem = await openRequest(body.user.id, body.trigger_id);
        if (problem) await publishHome(body.user.id, problem);
      } catch (error) {
        await publishHome(body.user.id, describeError(error, logger, 'home-request')).catch(() => undefined);
      }
    },
  );

  app.action<BlockAction>(
    { action_id: ACTIONS.openBreakGlassModal, type: 'block_actions' },
    async ({ ack, body }) => {
      await ack();
      try {
        const problem = await openBreakGlass(body.user.id, body.trigger_id);
        if (problem) await publishHome(body.user.id, problem);
      } catch (error) {
        await publishHome(body.user.id, describeError(error, logger, 'home-break-glass')).catch(
          () => undefined,
        );
      }
    },
  );

  app.action<BlockAction>(
    { action_id: ACTIONS.release, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      let notice: string;
      try {
        const grant = await releaseGrant(deps, { requestId, requester: body.user.id });
        notice = `:lock: Releasing *${grant.targetId}*… you will get a message when it has ended.`;
      } catch (error) {
        notice = describeError(error, logger, 'release');
      }
      await publishHome(body.user.id, notice).catch((error: unknown) => describeError(error, logger, 'home'));
    },
  );

  app.action<BlockAction>(
    { action_id: ACTIONS.extend, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      try {
        const grant = await deps.store.get(requestId);
        const target = grant ? findTarget(deps.policy.current(), grant.targetId) : undefined;
        // Why: only the holder may ask for more time, and only on a grant that is still live.
        if (!grant || !target || grant.requester !== body.user.id || !isLive(grant.status)) {
          return await publishHome(body.user.id, 'Only your own live grants can be extended.');
        }
        await client.views.open({
          trigger_id: body.trigger_id,
          view: extendModal(grant, target, clock.now()),
        });
      } catch (error) {
        await publishHome(body.user.id, describeError(error, logger, 'extend-open')).catch(() => undefined);
      }
    },
  );

  app.view(CALLBACKS.extendModal, async ({ ack, body, view }) => {
    const { requestId } = decodeMetadata(view.private_metadata);
    const read = readForm(view);
    if ('errors' in read) return ack({ response_action: 'errors', errors: read.errors });
    try {
      const { person, identity } = await resolver.resolve(body.user.id);
      if (!identity.ok || !requestId) {
        return ack({
          response_action: 'errors',
          errors: errorsFor(
            view,
            BLOCKS.duration,
            identity.ok ? 'This form has lost its grant; open it again.' : identity.message,
          ),
        });
      }
      const result = await submitRequest(deps, {
        ...read.form,
        targetId: '',
        extendsRequestId: requestId,
        requester: person,
        principal: identity.principal,
        idempotencyKey: submissionKey(view),
      });
      if (result.outcome === 'refused') {
        return ack({
          response_action: 'errors',
          errors: errorsFor(view, FIELD_BLOCKS[result.field ?? 'duration'], result.message),
        });
      }
      return ack({
        response_action: 'update',
        view: doneModal(
          'Extension requested',
          `:hourglass: Your extension of *${result.request.targetId}* is ${result.outcome === 'approved' ? 'approved' : 'with its approvers'}.`,
        ),
      });
    } catch (error) {
      return ack({
        response_action: 'errors',
        errors: errorsFor(view, BLOCKS.duration, describeError(error, logger, 'extend')),
      });
    }
  });

  app.action<BlockAction>(
    { action_id: ACTIONS.getCredentials, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      let viewId: string | undefined;
      try {
        // Open the modal at once (the trigger expires in 3 s); the grant worker fills it in.
        const opened = await client.views.open({
          trigger_id: body.trigger_id,
          view: credentialsLoadingModal(requestId),
        });
        viewId = opened.view?.id;
        if (!viewId) throw new BrokerError('SLACK_NO_VIEW', 'views.open returned no view id');
        await requestCredentials(deps, { requestId, requester: body.user.id, viewId });
      } catch (error) {
        const message = describeError(error, logger, 'credentials');
        if (viewId)
          await client.views
            .update({ view_id: viewId, view: credentialsFailureModal(message) })
            .catch(() => undefined);
        else await ephemeral(body.user.id, undefined, message).catch(() => undefined);
      }
    },
  );

  // Link buttons still send an action; acknowledge it so Slack shows no warning.
  app.action({ action_id: ACTIONS.openConsole }, async ({ ack }) => {
    await ack();
  });

  return { app, receiver, client, deps };
}
