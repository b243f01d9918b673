import { BrokerError } from '../../domain/errors.js';

/**
 * The shape version of the items this release writes (requests, audit events, delivery
 * references, the activity sweep watermark). Items written before versions were stamped carry none and read as version 1.
 *
 * Bump it only when a stored shape changes in a way an older release would misread (a field
 * renamed, moved or given a new meaning), add the upgrade of the older shape to the reader,
 * and write the fixture of the outgoing release first (test/compat/stored-items.test.ts).
 * New optional fields need no bump: every reader keeps attributes it does not know.
 */
export const ITEM_SCHEMA_VERSION = 1;

/** The attribute that carries it; never part of a request or a hashed audit event. */
export const SCHEMA_ATTRIBUTE = 'schemaVersion';

/** Thrown when an item was written by a newer release than the one reading it. */
export class ItemSchemaError extends BrokerError {
  static {
    this.prototype.name = 'ItemSchemaError';
  }

  constructor(what: string, version: unknown) {
    super(
      'ITEM_SCHEMA_TOO_NEW',
      `${what} was stored in schema version ${String(version)}, newer than this release reads ` +
        `(${ITEM_SCHEMA_VERSION}): deploy the newer release again rather than rolling back over its data.`,
    );
  }
}

/** `item` stamped with this release's schema version. */
export function stampSchema<T extends Record<string, unknown>>(item: T): T & { schemaVersion: number } {
  return { ...item, [SCHEMA_ATTRIBUTE]: ITEM_SCHEMA_VERSION };
}

/**
 * A copy of a stored item without its schema stamp, after checking this release can read it.
 * Why refuse a newer one: an older release rewriting an item it misreads would store the
 * misreading, under a condition that succeeds, with an audit event that looks right.
 */
export function unstampSchema(item: Record<string, unknown>, what: string): Record<string, unknown> {
  const { [SCHEMA_ATTRIBUTE]: version, ...rest } = item;
  checkSchemaVersion(version, () => what);
  return rest;
}

/**
 * Throws {@link ItemSchemaError} unless an item stamped `version` (or not stamped) is one this
 * release reads; `what` names the item, built only when refusing it.
 */
export function checkSchemaVersion(version: unknown, what: () => string): void {
  if (version === undefined) return;
  if (
    typeof version !== 'number' ||
    !Number.isInteger(version) ||
    version < 1 ||
    version > ITEM_SCHEMA_VERSION
  ) {
    throw new ItemSchemaError(what(), version);
  }
}
