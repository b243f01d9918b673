import type { DomainEvent, EventPublisher, EventSubscriber } from '../../domain/ports.js';

/** How long one subscriber may take with one event before the bus stops waiting for it. */
export const DEFAULT_SUBSCRIBER_DEADLINE_MS = 10_000;

/** Where the bus reports a failed or late subscriber (the use cases' logger fits). */
export interface EventBusLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface EventBusOptions {
  readonly logger: EventBusLogger;
  /** Per subscriber and event; default DEFAULT_SUBSCRIBER_DEADLINE_MS. */
  readonly deadlineMs?: number;
}

/**
 * The in-process event bus: fans each published event out to every registered subscriber,
 * at once. Each subscriber is isolated (its failure is logged and never reaches the use case
 * nor the other subscribers) and bounded (past its deadline the bus logs it and stops
 * waiting; the call itself cannot be cancelled and may still finish). `publish` never throws.
 * The events live only as long as the process: see EventPublisher for the durable next step.
 */
export class InProcessEventBus implements EventPublisher {
  private readonly subscribers: EventSubscriber[] = [];
  private readonly deadlineMs: number;

  constructor(private readonly options: EventBusOptions) {
    this.deadlineMs = options.deadlineMs ?? DEFAULT_SUBSCRIBER_DEADLINE_MS;
  }

  /** Adds a subscriber; returns the bus, so the wiring can chain registrations. */
  register(subscriber: EventSubscriber): this {
    this.subscribers.push(subscriber);
    return this;
  }

  async publish(event: DomainEvent): Promise<void> {
    await Promise.all(this.subscribers.map((subscriber) => this.deliver(subscriber, event)));
  }

  private async deliver(subscriber: EventSubscriber, event: DomainEvent): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), this.deadlineMs);
    });
    const handled = Promise.resolve()
      .then(() => subscriber.handle(event))
      .then(() => 'done' as const);
    try {
      if ((await Promise.race([handled, deadline])) === 'deadline') {
        this.options.logger.warn('event subscriber missed its deadline', {
          subscriber: subscriber.name,
          requestId: event.request.id,
          kind: event.kind,
          deadlineMs: this.deadlineMs,
        });
        // A late failure must not become an unhandled rejection.
        handled.catch(() => undefined);
      }
    } catch (error) {
      // The same line notifySafely logged before subscribers existed (the Slack notifier's failures).
      this.options.logger.warn('notification failed', {
        subscriber: subscriber.name,
        requestId: event.request.id,
        kind: event.kind,
        error: (error as Error).message,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
