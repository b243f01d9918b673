import { AwsOperationError } from '../../domain/grant-ports.js';

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $retryable?: unknown;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
}

const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'ServiceFailureException',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError', // an attempt's deadline (throwOnRequestTimeout)
  'AbortError', // a call's deadline (withCallDeadline)
  'ConcurrentModification',
  'ConcurrentModificationException',
]);

/**
 * Whether an SDK error is worth retrying later: throttling, a 5xx or no reply at all (a hung
 * call cut by its deadline is one: the next run tries again).
 */
export function isTransientAwsError(error: unknown): boolean {
  const e = (error ?? {}) as SdkErrorShape;
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return true; // no HTTP reply: a network error or a timeout
  return status >= 500 || status === 429;
}

/** The SDK error's name, for matching expected outcomes such as NoSuchEntity. */
export function awsErrorName(error: unknown): string | undefined {
  return (error as SdkErrorShape | undefined)?.name;
}

/** Wraps an SDK error as an AwsOperationError (keeping it as `cause`). */
export function toOperationError(operation: string, error: unknown): AwsOperationError {
  const e = (error ?? {}) as SdkErrorShape;
  const requestId = e.$metadata?.requestId;
  return new AwsOperationError(operation, `${e.name ?? 'Error'}: ${e.message ?? String(error)}`, {
    transient: isTransientAwsError(error),
    ...(requestId === undefined ? {} : { awsRequestId: requestId }),
    cause: error,
  });
}
