import { describe, expect, it } from 'vitest';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import { breakGlass } from '../../shared/usecases/break-glass.js';
import { resendStalledActivations } from '../../shared/usecases/resend-stalled-activations.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { fakeWorld, person } from '../support/fakes.js';

describe('a failed hand-off to the grant worker never strands an approved grant', () => {
  it('a retried break-glass delivery sends the activation again', async () => {
    const world = fakeWorld();
    const input = {
      requester: person('UONCALL1'),
      principal: 'oncall@example.com',
      targetId: 'prod-role',
      reason: 'site down',
      idempotencyKey: 'view:V1',
    };
    const enqueue = world.queue.enqueue.bind(world.queue);
    world.queue.enqueue = async () => {
      throw new Error('SQS unavailable');
    };
    await expect(breakGlass(world.deps, input)).rejects.toThrow('SQS unavailable');
    expect(world.store.items.get('req-0001')?.status).toBe('APPROVED');
    world.queue.enqueue = enqueue;
    const retry = await breakGlass(world.deps, input);
    expect(retry).toMatchObject({ outcome: 'granted', created: false });
    expect(world.queue.jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
  });

  it('a retried auto-approved submission sends the activation again', async () => {
    const world = fakeWorld();
    const input = {
      requester: person('UANY'),
      principal: 'any@example.com',
      targetId: 'sandbox',
      idempotencyKey: 'view:V2',
    };
    const enqueue = world.queue.enqueue.bind(world.queue);
    world.queue.enqueue = async () => {
      throw new Error('SQS unavailable');
    };
    await expect(submitRequest(world.deps, input)).rejects.toThrow('SQS unavailable');
    world.queue.enqueue = enqueue;
    expect(await submitRequest(world.deps, input)).toMatchObject({ outcome: 'approved', created: false });
    expect(world.queue.jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
  });

  it('the sweeper resends the activation of a grant approved over two minutes ago, and of no other', async () => {
    const world = fakeWorld();
    const submitted = async (idempotencyKey: string) => {
      const result = await submitRequest(world.deps, {
        requester: person('UDEV1'),
        principal: 'dev1@example.com',
        targetId: 'dev-group',
        reason: 'deploy',
        idempotencyKey,
      });
      if (result.outcome === 'refused') throw new Error(result.message);
      return result.request;
    };
    const stalled = await submitted('a');
    await approveRequest(world.deps, { requestId: stalled.id, approver: person('ULEAD1') });
    world.clock.advance(90);
    const recent = await submitted('b');
    await approveRequest(world.deps, { requestId: recent.id, approver: person('ULEAD1') });
    const pending = await submitted('c');
    world.clock.advance(60);
    world.queue.jobs.length = 0;

    expect(await resendStalledActivations(world.deps)).toEqual({ resent: 1, started: 0, accountGrants: 0 });
    expect(world.queue.jobs).toEqual([{ kind: 'activate', requestId: stalled.id }]);
    expect(world.store.items.get(pending.id)?.status).toBe('PENDING');

    world.clock.advance(2 * 3600); // both windows closed: the sweeper ends them instead
    world.queue.jobs.length = 0;
    expect(await resendStalledActivations(world.deps)).toEqual({ resent: 0, started: 0, accountGrants: 0 });
  });
});
