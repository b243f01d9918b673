import { accountLabel, type NamedAccount } from '../../../domain/account-directory.js';
import { MAX_REASON_LENGTH, MAX_TICKET_LENGTH } from '../../../domain/decision.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import type { IssuedCredentials } from '../../../domain/ports.js';
import type { AccessRequest } from '../../../domain/request.js';
import { ACTIONS, BLOCKS, CALLBACKS } from '../ids.js';
import {
  context,
  encodeMetadata,
  escapeText,
  limitsOf,
  plain,
  section,
  slackDate,
  targetOption,
  user,
  type Block,
  type ModalView,
} from './blocks.js';

/**
 * The modals: request, extend, deny, break-glass and credentials. Pure functions of their
 * inputs (no I/O, no clock), so tests can assert on them and the listeners stay thin.
 */

function targetInput(targets: readonly Target[], selected: Target | undefined, dispatch: boolean): Block {
  return {
    type: 'input',
    block_id: BLOCKS.target,
    label: plain('What do you need?'),
    dispatch_action: dispatch,
    element: {
      type: 'static_select',
      action_id: ACTIONS.target,
      placeholder: plain('Choose a target'),
      options: targets.map(targetOption),
      ...(selected ? { initial_option: targetOption(selected) } : {}),
    },
  };
}

function durationInput(initialSeconds: number | undefined, hint: string): Block {
  return {
    type: 'input',
    block_id: BLOCKS.duration,
    optional: true,
    label: plain('For how long?'),
    hint: plain(hint),
    element: {
      type: 'plain_text_input',
      action_id: ACTIONS.duration,
      placeholder: plain('e.g. 30m, 1h, 1h30m'),
      max_length: 16,
      ...(initialSeconds === undefined ? {} : { initial_value: formatDuration(initialSeconds) }),
    },
  };
}

function reasonInput(required: boolean, label = 'Why do you need it?'): Block {
  return {
    type: 'input',
    block_id: BLOCKS.reason,
    optional: !required,
    label: plain(label),
    element: {
      type: 'plain_text_input',
      action_id: ACTIONS.reason,
      multiline: true,
      max_length: MAX_REASON_LENGTH,
    },
  };
}

function ticketInput(required: boolean, hint?: string): Block {
  return {
    type: 'input',
    block_id: BLOCKS.ticket,
    optional: !required,
    label: plain('Ticket'),
    ...(hint ? { hint: plain(hint) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: ACTIONS.ticket,
      placeholder: plain('e.g. OPS-1234'),
      max_length: MAX_TICKET_LENGTH,
    },
  };
}

/** The optional start of a scheduled grant (a date and time; empty: as soon as approved). */
function startInput(): Block {
  return {
    type: 'input',
    block_id: BLOCKS.start,
    optional: true,
    label: plain('Start later?'),
    hint: plain('Leave empty to start as soon as it is approved. Approval happens now; access at the start.'),
    element: { type: 'datetimepicker', action_id: ACTIONS.start },
  };
}

/** Slack allows at most 100 options in a select. */
const MAX_SELECT_OPTIONS = 100;

/**
 * The accounts multi-select of a target granted per account: exactly the accounts it may be
 * granted in, each "name (id)"; the only one is picked already.
 */
function accountsInput(accounts: readonly NamedAccount[]): Block {
  const options = accounts.slice(0, MAX_SELECT_OPTIONS).map((account) => ({
    text: { type: 'plain_text' as const, text: accountLabel(account).slice(0, 75), emoji: false },
    value: account.id,
  }));
  return {
    type: 'input',
    block_id: BLOCKS.accounts,
    label: plain('In which accounts?'),
    hint: plain('One grant per account, all under this one approval.'),
    element: {
      type: 'multi_static_select',
      action_id: ACTIONS.accounts,
      placeholder: plain('Choose one or more accounts'),
      options,
      ...(options.length === 1 ? { initial_options: options } : {}),
    },
  };
}

/** The target a request modal is drawn for: the one chosen, or the only one there is. */
export function selectedTarget(targets: readonly Target[], selectedId?: string): Target | undefined {
  return targets.find((t) => t.id === selectedId) ?? (targets.length === 1 ? targets[0] : undefined);
}

/**
 * The `/request-access` modal: the targets this person may request, the accounts to grant in
 * (for a target granted per account: `accounts`, the ones it allows), the duration (the
 * target's default and maximum), the reason, and a ticket field where the target needs one.
 * Choosing a target re-renders the modal for it (dispatch_action).
 */
export function requestModal(
  targets: readonly Target[],
  selectedId?: string,
  accounts?: readonly NamedAccount[],
): ModalView {
  const selected = selectedTarget(targets, selectedId);
  const blocks: Block[] = [targetInput(targets, selected, targets.length > 1)];
  if (selected) {
    blocks.push(context(escapeText(selected.description)));
    if (accounts !== undefined) blocks.push(accountsInput(accounts));
    blocks.push(durationInput(selected.defaultDurationSeconds, `${limitsOf(selected)}.`));
    blocks.push(startInput());
    blocks.push(reasonInput(selected.requireReason));
    if (selected.requireTicket)
      blocks.push(
        ticketInput(true, selected.ticketPattern ? `Format: ${selected.ticketPattern}` : undefined),
      );
  } else {
    blocks.push(durationInput(undefined, 'Leave empty for the target’s default.'));
    blocks.push(context(targets.map((t) => `*${t.id}*: ${limitsOf(t)}`).join('\n')));
    blocks.push(startInput());
    blocks.push(reasonInput(false));
    const needTicket = targets.filter((t) => t.requireTicket).map((t) => t.id);
    if (needTicket.length > 0) blocks.push(ticketInput(false, `Required for ${needTicket.join(', ')}.`));
  }
  return {
    type: 'modal',
    callback_id: CALLBACKS.requestModal,
    title: plain('Request access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({}),
    blocks,
  };
}

/**
 * "Extend": a request for more time on a live grant, through the same approval rules.
 * `notice` says why it came to this form (a grace extension beyond its budget).
 */
export function extendModal(grant: AccessRequest, target: Target, now: Date, notice?: string): ModalView {
  const blocks: Block[] = [
    ...(notice ? [section(`:information_source: ${escapeText(notice)}`)] : []),
    section(
      `Extend *${target.id}* (${grant.endsAt ? `ends ${slackDate(grant.endsAt)}` : `not active yet`}).`,
    ),
    context(
      `The extension runs on from the current end, up to ${formatDuration(target.maxDurationSeconds)} from the approval (as of ${slackDate(now.toISOString())}).`,
    ),
    durationInput(target.defaultDurationSeconds, `How much more time: ${limitsOf(target)}.`),
    reasonInput(target.requireReason),
  ];
  if (target.requireTicket) blocks.push(ticketInput(true));
  return {
    type: 'modal',
    callback_id: CALLBACKS.extendModal,
    title: plain('Extend access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({ requestId: grant.id }),
    blocks,
  };
}

/** Asked when an approver clicks Deny: the reason is mandatory. */
export function denyModal(request: AccessRequest): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACKS.denyModal,
    title: plain('Deny request'),
    submit: plain('Deny'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({ requestId: request.id }),
    blocks: [
      section(`Deny ${user(request.requester)}'s request for *${request.targetId}*?`),
      {
        type: 'input',
        block_id: BLOCKS.denyReason,
        label: plain('Reason (sent to the requester)'),
        element: {
          type: 'plain_text_input',
          action_id: ACTIONS.denyReason,
          multiline: true,
          max_length: MAX_REASON_LENGTH,
        },
      },
    ],
  };
}

/**
 * Revoke with a reason (sent to the holder): one grant (`grant`), or every live grant of
 * `holder` (on `targetId` only when given) for the security set's /revoke-access.
 */
export function revokeModal(
  what: { readonly grant: AccessRequest } | { readonly holder: string; readonly targetId?: string },
): ModalView {
  const question =
    'grant' in what
      ? `End ${user(what.grant.requester)}'s *${what.grant.targetId}* access now?`
      : `End *all* of ${user(what.holder)}'s live access${what.targetId ? ` on *${escapeText(what.targetId)}*` : ''} now?`;
  const metadata =
    'grant' in what
      ? { requestId: what.grant.id }
      : { holder: what.holder, ...(what.targetId ? { targetId: what.targetId } : {}) };
  return {
    type: 'modal',
    callback_id: CALLBACKS.revokeModal,
    title: plain('Revoke access'),
    submit: plain('Revoke'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata(metadata),
    blocks: [
      section(`${question} Live sessions are ended too.`),
      {
        type: 'input',
        block_id: BLOCKS.revokeReason,
        label: plain('Reason (sent to the holder)'),
        element: {
          type: 'plain_text_input',
          action_id: ACTIONS.revokeReason,
          multiline: true,
          max_length: MAX_REASON_LENGTH,
        },
      },
    ],
  };
}

/** Break-glass: immediate access for listed responders; the reason is mandatory. */
export function breakGlassModal(targets: readonly Target[], limitSeconds: number): ModalView {
  const selected = targets.length === 1 ? targets[0] : undefined;
  return {
    type: 'modal',
    callback_id: CALLBACKS.breakGlassModal,
    title: plain('Break glass'),
    submit: plain('Break glass'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({}),
    blocks: [
      section(
        ':rotating_light: *Emergency access, granted at once.* The security channel is told now and the grant is reviewed afterwards.',
      ),
      targetInput(targets, selected, false),
      durationInput(
        undefined,
        `Leave empty for the default; break-glass lasts at most ${formatDuration(limitSeconds)}.`,
      ),
      reasonInput(true, 'What is on fire?'),
      ticketInput(false, 'Incident reference, if there is one.'),
    ],
  };
}

function credentialsShell(blocks: Block[]): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACKS.credentialsModal,
    title: plain('AWS credentials'),
    close: plain('Close'),
    blocks,
  };
}

/** Opened at once on "Get credentials"; the grant worker fills it in (views.update). */
export function credentialsLoadingModal(requestId: string): ModalView {
  return {
    ...credentialsShell([
      section(':hourglass_flowing_sand: Getting a session for you…'),
      context('This takes a few seconds. Keep this window open.'),
    ]),
    private_metadata: encodeMetadata({ requestId }),
  };
}

/**
 * The filled credentials modal: a console link and CLI `export` lines. Shown only to the
 * requester, in a modal; never posted to a channel, stored or logged.
 */
export function credentialsModal(grant: AccessRequest, credentials: IssuedCredentials): ModalView {
  const exports = [
    `export AWS_ACCESS_KEY_ID=${credentials.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey}`,
    `export AWS_SESSION_TOKEN=${credentials.sessionToken}`,
  ].join('\n');
  return credentialsShell([
    section(`*${grant.targetId}*: session valid until ${slackDate(credentials.expiration.toISOString())}.`),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.openConsole,
          text: plain('Open the AWS console'),
          url: credentials.consoleUrl,
          style: 'primary',
        },
      ],
    },
    section('*CLI*: paste into your shell.'),
    section('```' + exports + '```'),
    context('Do not share these. They stop working when your grant ends.'),
  ]);
}

/** The credentials modal when no credentials were issued, with the reason. */
export function credentialsFailureModal(message: string): ModalView {
  return credentialsShell([section(`:warning: No credentials were issued. ${escapeText(message)}`)]);
}
