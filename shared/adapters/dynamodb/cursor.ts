import { ValidationError } from '../../domain/errors.js';

/** Page cursors are DynamoDB's LastEvaluatedKey, base64url-encoded: opaque to callers. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ValidationError('The page cursor is not valid.');
}

/** Clamps a caller's page size to [1, max]. */
export function pageLimit(limit: number | undefined, fallback = 50, max = 500): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ValidationError('A page size is a positive whole number.');
  return Math.min(limit, max);
}
