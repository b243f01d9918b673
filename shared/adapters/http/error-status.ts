import { BrokerError, type ErrorCode } from '../../domain/errors.js';

/**
 * The HTTP status of each error code, for every HTTP front door. Checked for exhaustiveness:
 * a new `ErrorCode` does not compile until it has a status here. 4xx are the caller's
 * mistakes (logged as warnings); 5xx are ours (logged as errors, with the error).
 */
export const HTTP_STATUS_OF_CODE = {
  VALIDATION_FAILED: 400,
  NOT_AUTHORIZED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ILLEGAL_TRANSITION: 409,
  ALREADY_DECIDED: 409,
  END_REQUEST_CONFLICT: 409,
  POLICY_INVALID: 500,
  CONFIG_INVALID: 500,
  DUPLICATE_ID: 500,
  AUDIT_WRITE_FAILED: 500,
  AUDIT_DIGEST_UNREADABLE: 500,
  AWS_OPERATION_FAILED: 502,
  ANCHOR_SIGNING_FAILED: 502,
  SLACK_API_FAILED: 502,
  SLACK_NO_VIEW: 502,
  ITEM_SCHEMA_TOO_NEW: 500,
  EXTERNAL_SYSTEM_FAILED: 502,
} as const satisfies Record<ErrorCode, number>;

/** How an error is answered over HTTP: its status, and whether its message may be shown. */
export interface HttpErrorAnswer {
  readonly statusCode: number;
  /** The caller sees `{ error: code, message }`; otherwise a bare generic 500. */
  readonly expose: boolean;
  /** A client error (4xx): the caller's mistake, not ours. */
  readonly clientError: boolean;
}

/**
 * The HTTP answer to any thrown value. Only an exposed BrokerError keeps its status and
 * message; anything else is a 500 whose message stays in the logs.
 */
export function httpAnswerFor(error: unknown): HttpErrorAnswer {
  if (error instanceof BrokerError && error.expose) {
    const statusCode: number = HTTP_STATUS_OF_CODE[error.code];
    return { statusCode, expose: true, clientError: statusCode < 500 };
  }
  return { statusCode: 500, expose: false, clientError: false };
}
