import { describe, expect, it } from 'vitest';
import { InProcessEventBus } from '../../../shared/adapters/events/event-bus.js';
import type { DomainEvent, EventSubscriber } from '../../../shared/domain/ports.js';
import { newRequest } from '../../../shared/domain/request.js';
import type { UseCaseLogger } from '../../../shared/usecases/deps.js';

const request = newRequest({
  id: 'req-1',
  at: new Date('2026-11-27T09:00:00.000Z'),
  requester: 'UDEV1',
  principal: 'dev1',
  targetId: 'dev-group',
  targetKind: 'group',
  durationSeconds: 3600,
  approvalsRequired: 1,
});
const EVENT: DomainEvent = { kind: 'request-approved', request };

function recordingLogger() {
  const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  const logger: UseCaseLogger = {
    info: () => undefined,
    warn: (message, fields) => void warnings.push({ message, fields }),
  };
  return { logger, warnings };
}

function recording(name: string, seen: string[]): EventSubscriber {
  return { name, handle: async (event) => void seen.push(`${name}:${event.kind}`) };
}

describe('InProcessEventBus', () => {
  it('fans each event out to every registered subscriber', async () => {
    const seen: string[] = [];
    const { logger, warnings } = recordingLogger();
    const bus = new InProcessEventBus({ logger })
      .register(recording('a', seen))
      .register(recording('b', seen));
    await bus.publish(EVENT);
    expect(seen.sort()).toEqual(['a:request-approved', 'b:request-approved']);
    expect(warnings).toEqual([]);
  });

  it('with no subscriber, publishes to nobody and succeeds', async () => {
    await expect(new InProcessEventBus({ logger: recordingLogger().logger }).publish(EVENT)).resolves.toBe(
      undefined,
    );
  });

  it('isolates a failing subscriber: logged with its name, never thrown, the others still hear', async () => {
    const seen: string[] = [];
    const { logger, warnings } = recordingLogger();
    const failing: EventSubscriber = {
      name: 'broken',
      handle: () => Promise.reject(new Error('channel_not_found')),
    };
    const throwsAtOnce: EventSubscriber = {
      name: 'sync-broken',
      handle: () => {
        throw new Error('boom');
      },
    };
    const bus = new InProcessEventBus({ logger })
      .register(failing)
      .register(throwsAtOnce)
      .register(recording('ok', seen));
    await expect(bus.publish(EVENT)).resolves.toBe(undefined);
    expect(seen).toEqual(['ok:request-approved']);
    const logged = warnings.map((w) => [w.message, String(w.fields?.subscriber), w.fields?.error]);
    expect(logged.sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ['notification failed', 'broken', 'channel_not_found'],
      ['notification failed', 'sync-broken', 'boom'],
    ]);
    for (const w of warnings)
      expect(w.fields).toMatchObject({ requestId: 'req-1', kind: 'request-approved' });
  });

  it('bounds a subscriber by its deadline: the bus stops waiting, logs it, and the others are not held up', async () => {
    const seen: string[] = [];
    const { logger, warnings } = recordingLogger();
    let release: () => void = () => undefined;
    const hung: EventSubscriber = {
      name: 'hung',
      handle: () =>
        new Promise<void>((_resolve, reject) => {
          release = () => reject(new Error('late failure'));
        }),
    };
    const bus = new InProcessEventBus({ logger, deadlineMs: 20 })
      .register(hung)
      .register(recording('ok', seen));
    await bus.publish(EVENT);
    expect(seen).toEqual(['ok:request-approved']);
    expect(warnings).toEqual([
      {
        message: 'event subscriber missed its deadline',
        fields: { subscriber: 'hung', requestId: 'req-1', kind: 'request-approved', deadlineMs: 20 },
      },
    ]);
    // Its late failure is neither thrown nor an unhandled rejection.
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(warnings).toHaveLength(1);
  });
});
