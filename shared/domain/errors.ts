/**
 * Every error code the broker uses. A union, not free strings, so each mapping of codes
 * (HTTP status, Slack text) is checked for exhaustiveness by the compiler: a new code does
 * not compile until every mapping says what it means.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'POLICY_INVALID'
  | 'CONFIG_INVALID'
  | 'NOT_AUTHORIZED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'ILLEGAL_TRANSITION'
  | 'ALREADY_DECIDED'
  | 'END_REQUEST_CONFLICT'
  | 'DUPLICATE_ID'
  | 'AUDIT_WRITE_FAILED'
  | 'AUDIT_DIGEST_UNREADABLE'
  | 'AWS_OPERATION_FAILED'
  | 'ANCHOR_SIGNING_FAILED'
  | 'SLACK_API_FAILED'
  | 'SLACK_NO_VIEW'
  | 'ITEM_SCHEMA_TOO_NEW'
  | 'EXTERNAL_SYSTEM_FAILED';

/**
 * One base error for the broker. Every error has a stable `code` (for tests, logs and
 * API responses) and says whether its message may be shown to a Slack user or API caller
 * (`expose`). Internal messages never leak: callers show a generic text when `expose` is false.
 *
 * Each error class names itself on its prototype (`static { this.prototype.name = … }`) rather
 * than taking its class's name at run time: the Lambda bundles are minified, where a class is
 * called `e`, and the name is what logs and stack traces show (test/infra/bundling.test.ts).
 */
export class BrokerError extends Error {
  static {
    this.prototype.name = 'BrokerError';
  }

  readonly code: ErrorCode;
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options: { expose?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.expose = options.expose ?? false;
  }
}

/** A value from a user or a caller is malformed. Nothing was changed. */
export class ValidationError extends BrokerError {
  static {
    this.prototype.name = 'ValidationError';
  }

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('VALIDATION_FAILED', message, { expose: true, ...options });
  }
}

/** The access policy file is invalid; the message names each path and its problem. */
export class PolicyError extends BrokerError {
  static {
    this.prototype.name = 'PolicyError';
  }

  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    super('POLICY_INVALID', `Invalid access policy ${source}:\n  ${issues.join('\n  ')}`);
    this.issues = issues;
  }
}

/** Configuration (environment) is invalid; the message names the variable. */
export class ConfigError extends BrokerError {
  static {
    this.prototype.name = 'ConfigError';
  }

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** The caller may not do this (not an approver, not a responder, not the requester...). */
export class NotAuthorizedError extends BrokerError {
  static {
    this.prototype.name = 'NotAuthorizedError';
  }

  readonly reason: string;
  constructor(reason: string, message: string) {
    super('NOT_AUTHORIZED', message, { expose: true });
    this.reason = reason;
  }
}

/** A request or grant id that does not exist. */
export class NotFoundError extends BrokerError {
  static {
    this.prototype.name = 'NotFoundError';
  }

  constructor(what: string) {
    super('NOT_FOUND', `${what} was not found.`, { expose: true });
  }
}

/** The lifecycle forbids this transition (approving an EXPIRED request, say). Nothing changed. */
export class IllegalTransitionError extends BrokerError {
  static {
    this.prototype.name = 'IllegalTransitionError';
  }

  constructor(from: string, to: string) {
    super('ILLEGAL_TRANSITION', `A request in state ${from} cannot become ${to}.`, { expose: true });
  }
}

/**
 * Someone else decided first (a second approver, a Slack retry, a double click).
 * This is an expected outcome, not a failure: exactly one transition happened.
 */
export class AlreadyDecidedError extends BrokerError {
  static {
    this.prototype.name = 'AlreadyDecidedError';
  }

  readonly currentStatus: string;
  constructor(currentStatus: string) {
    super('ALREADY_DECIDED', `This request was already decided (it is now ${currentStatus}).`, {
      expose: true,
    });
    this.currentStatus = currentStatus;
  }
}

/**
 * A ticket or on-call system (Jira, ServiceNow, PagerDuty, Opsgenie) gave no usable answer:
 * a timeout, a 5xx, refused credentials, an answer that is not what its API documents.
 * The message names the system and the status, never the token.
 */
export class ExternalSystemError extends BrokerError {
  static {
    this.prototype.name = 'ExternalSystemError';
  }

  readonly system: string;
  readonly status?: number;
  constructor(system: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(
      'EXTERNAL_SYSTEM_FAILED',
      `${system}: ${message}`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.system = system;
    if (options.status !== undefined) this.status = options.status;
  }
}
