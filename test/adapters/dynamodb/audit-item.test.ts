import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditEventToItem, itemToAuditEvent } from '../../../shared/adapters/dynamodb/audit-log.js';
import { ITEM_SCHEMA_VERSION, ItemSchemaError } from '../../../shared/adapters/dynamodb/item-schema.js';
import { GENESIS_HASH, hashEvent, sealEvent, type AuditEvent } from '../../../shared/domain/audit.js';

/** A sealed event at `at`, break-glass or not, as the audit log writes it. */
function event(at: string, breakGlass: boolean, extra: Record<string, unknown> = {}): AuditEvent {
  return sealEvent(
    {
      type: breakGlass ? 'break-glass.activated' : 'request.submitted',
      at,
      actor: 'UDEV1',
      subject: 'UDEV1',
      targetId: 'prod-role',
      requestId: 'req-1',
      breakGlass,
      ...extra,
    },
    'chain-03',
    { seq: 6, hash: GENESIS_HASH },
  );
}

const withoutHash = ({ hash: _hash, ...rest }: AuditEvent) => rest;

describe('an audit event as a stored item and back', () => {
  it('reads back exactly the event that was hashed: no schema stamp, no index keys, same key order', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
        fc.boolean(),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        (at, breakGlass, reason) => {
          const sealed = event(at.toISOString(), breakGlass, reason === undefined ? {} : { reason });
          const item = auditEventToItem(sealed);
          expect(item.schemaVersion).toBe(ITEM_SCHEMA_VERSION);
          const back = itemToAuditEvent(item);
          expect(back).toStrictEqual(sealed);
          expect(Object.keys(back)).toEqual(Object.keys(sealed));
          expect(hashEvent(withoutHash(back))).toBe(sealed.hash);
        },
      ),
    );
  });

  it('keeps an index key that disagrees with the event as content, so its hash no longer matches', () => {
    const sealed = event('2026-03-01T09:00:00.000Z', false);
    const cases: Record<string, Record<string, unknown>> = {
      'day edited': { day: '1999-01-01' },
      'sortKey moved in time': { sortKey: `1999-01-01T00:00:00.000Z#chain-03#000000000007` },
      'a break-glass key on an ordinary event': { breakGlassKey: 'BREAK_GLASS' },
    };
    for (const [what, edit] of Object.entries(cases)) {
      const back = itemToAuditEvent({ ...auditEventToItem(sealed), ...edit });
      expect(back, what).toMatchObject(edit);
      expect(hashEvent(withoutHash(back)), what).not.toBe(sealed.hash);
    }
  });

  it('reads an index key the event needs but the item lacks as null, so its hash no longer matches', () => {
    const sealed = event('2026-03-01T09:00:00.000Z', true);
    for (const key of ['day', 'sortKey', 'breakGlassKey']) {
      const { [key]: _removed, ...item } = auditEventToItem(sealed);
      const back = itemToAuditEvent(item);
      expect(back, key).toHaveProperty(key, null);
      expect(hashEvent(withoutHash(back)), key).not.toBe(sealed.hash);
    }
  });

  it('refuses an item stamped by a newer release, naming the event', () => {
    const item = { ...auditEventToItem(event('2026-03-01T09:00:00.000Z', false)), schemaVersion: 99 };
    expect(() => itemToAuditEvent(item)).toThrow(ItemSchemaError);
    expect(() => itemToAuditEvent(item)).toThrow(/Audit event chain-03#7 was stored in schema version 99/);
  });

  it('reads an item written before versions were stamped', () => {
    const sealed = event('2026-03-01T09:00:00.000Z', false);
    const { schemaVersion: _v, ...legacy } = auditEventToItem(sealed);
    expect(itemToAuditEvent(legacy)).toStrictEqual(sealed);
  });
});
