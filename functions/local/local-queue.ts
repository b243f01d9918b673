import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { GrantJob, GrantQueue } from '../../shared/domain/ports.js';

/** A job that failed every delivery: what SQS would move to the dead-letter queue. */
export interface DeadLetter {
  readonly job: GrantJob;
  readonly receives: number;
}

/**
 * The local runner's stand-in for the SQS grant queue: it hands each job to the real grant
 * worker handler as an SQS record, redelivers a failed one with backoff (counting
 * ApproximateReceiveCount as SQS does) and keeps a dead-letter list after `maxReceives`.
 */
export class InProcessGrantQueue implements GrantQueue {
  readonly deadLetters: DeadLetter[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly worker: (event: SQSEvent) => Promise<SQSBatchResponse>,
    private readonly options: {
      readonly maxReceives: number;
      readonly backoffMs?: (receives: number) => number;
      readonly onDeadLetter?: (letter: DeadLetter) => void;
    },
  ) {}

  async enqueue(job: GrantJob): Promise<void> {
    if (this.stopped) throw new Error('The local grant queue is stopped.');
    this.deliver(job, randomUUID(), 1);
  }

  /** Resolves once no job is being processed or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.race([...this.inFlight, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private deliver(job: GrantJob, messageId: string, receives: number): void {
    const run = (async () => {
      const record = {
        messageId,
        receiptHandle: `${messageId}-${receives}`,
        body: JSON.stringify(job),
        attributes: { ApproximateReceiveCount: String(receives) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'local:grant-queue',
        eventSourceARN: 'local:grant-queue',
        awsRegion: 'local',
      } as unknown as SQSRecord;
      let failed: boolean;
      try {
        const response = await this.worker({ Records: [record] });
        failed = response.batchItemFailures.some((f) => f.itemIdentifier === messageId);
      } catch {
        failed = true;
      }
      if (!failed || this.stopped) return;
      if (receives >= this.options.maxReceives) {
        const letter = { job, receives };
        this.deadLetters.push(letter);
        this.options.onDeadLetter?.(letter);
        return;
      }
      const delay = this.options.backoffMs?.(receives) ?? Math.min(30_000, 1000 * 2 ** (receives - 1));
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.deliver(job, messageId, receives + 1);
      }, delay);
      this.timers.add(timer);
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }
}
