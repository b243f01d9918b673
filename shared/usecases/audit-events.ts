import type { AuditDetail, AuditEventInput, AuditEventType } from '../domain/audit.js';
import type { RequestStatus } from '../domain/lifecycle.js';
import type { AccessRequest } from '../domain/request.js';

/** Builds the audit event of a change to `request`, filling what the request already says. */
export function auditOf(
  request: AccessRequest,
  type: AuditEventType,
  fields: {
    at: Date;
    actor: string;
    to?: RequestStatus;
    /** The event creates the request: there is no previous state. */
    initial?: boolean;
    reason?: string;
    approvers?: readonly string[];
    awsRequestId?: string;
    detail?: AuditDetail;
  },
): AuditEventInput {
  return {
    type,
    at: fields.at.toISOString(),
    actor: fields.actor,
    subject: request.requester,
    principal: request.principal,
    targetId: request.targetId,
    requestId: request.id,
    ...(fields.initial ? {} : { fromStatus: request.status }),
    ...(fields.to === undefined ? {} : { toStatus: fields.to }),
    reason: fields.reason ?? request.reason,
    ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
    ...(fields.approvers === undefined ? {} : { approvers: fields.approvers }),
    breakGlass: request.breakGlass,
    ...(fields.awsRequestId === undefined ? {} : { awsRequestId: fields.awsRequestId }),
    ...(fields.detail === undefined ? {} : { detail: fields.detail }),
  };
}
