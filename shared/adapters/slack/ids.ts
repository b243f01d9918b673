/**
 * Every Slack command name, callback id, action id and block id the broker uses: one source
 * of truth for the views that emit them, the listeners that match them and the tests.
 */

export const COMMANDS = {
  requestAccess: '/request-access',
  breakGlass: '/break-glass',
  revokeAccess: '/revoke-access',
} as const;

/** `callback_id` of each modal. */
export const CALLBACKS = {
  requestModal: 'jit_request_modal',
  extendModal: 'jit_extend_modal',
  denyModal: 'jit_deny_modal',
  breakGlassModal: 'jit_break_glass_modal',
  credentialsModal: 'jit_credentials_modal',
  revokeModal: 'jit_revoke_modal',
} as const;

/** `action_id` of each button and input. Button values carry the request id. */
export const ACTIONS = {
  approve: 'jit_approve',
  deny: 'jit_deny',
  release: 'jit_release',
  cancel: 'jit_cancel',
  extend: 'jit_extend',
  getCredentials: 'jit_get_credentials',
  reviewBreakGlass: 'jit_review_break_glass',
  openConsole: 'jit_open_console',
  openRequestModal: 'jit_open_request_modal',
  openBreakGlassModal: 'jit_open_break_glass_modal',
  target: 'jit_target',
  duration: 'jit_duration',
  reason: 'jit_reason',
  ticket: 'jit_ticket',
  denyReason: 'jit_deny_reason',
  revoke: 'jit_revoke',
  revokeReason: 'jit_revoke_reason',
  start: 'jit_start',
  graceExtend: 'jit_grace_extend',
  /** The accounts multi-select of a permission-set request. */
  accounts: 'jit_accounts',
} as const;

/** `block_id` of each input; inline errors are keyed by these. */
export const BLOCKS = {
  target: 'jit_target_block',
  duration: 'jit_duration_block',
  reason: 'jit_reason_block',
  ticket: 'jit_ticket_block',
  denyReason: 'jit_deny_reason_block',
  start: 'jit_start_block',
  approvalActions: 'jit_approval_actions',
  revokeReason: 'jit_revoke_reason_block',
  accounts: 'jit_accounts_block',
} as const;

/** The form field a refusal names → the block that shows its inline error. */
export const FIELD_BLOCKS = {
  target: BLOCKS.target,
  duration: BLOCKS.duration,
  reason: BLOCKS.reason,
  ticket: BLOCKS.ticket,
  start: BLOCKS.start,
  accounts: BLOCKS.accounts,
} as const;
