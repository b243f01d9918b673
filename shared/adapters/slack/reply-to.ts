import { ValidationError } from '../../domain/errors.js';

/**
 * The Slack front door's `replyTo` (GrantJob `issue-credentials`): opaque to the domain and
 * the queue, written by the Slack listener that opened the modal, read by the Slack delivery.
 */
/** How the Slack front door writes "reply in this open modal" into a job's opaque `replyTo`. */
const VIEW_REPLY_PREFIX = 'slack-view:';

/** The `replyTo` of a job whose credentials go into the open Slack modal `viewId`. */
export function replyToSlackView(viewId: string): string {
  return `${VIEW_REPLY_PREFIX}${viewId}`;
}

/**
 * The Slack modal a job's `replyTo` names. Throws ValidationError for a `replyTo` that
 * another front door wrote (this delivery cannot answer there).
 */
export function slackViewOf(replyTo: string): string {
  const viewId = replyTo.startsWith(VIEW_REPLY_PREFIX) ? replyTo.slice(VIEW_REPLY_PREFIX.length) : '';
  if (!viewId) throw new ValidationError('The credentials job does not reply to a Slack modal.');
  return viewId;
}
