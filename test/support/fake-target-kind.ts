import * as z from 'zod';
import type { Target } from '../../shared/domain/policy.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import type { StepReceipt, TargetDriver, TargetKind } from '../../shared/domain/target-kind.js';

/**
 * A throw-away third target kind that lives in the test tree only: a feature flag turned on
 * for a person while their grant runs. It plugs into the real policy parser and the real
 * lifecycle use cases through the TargetKind / TargetDriver interfaces, with no production
 * file knowing about it.
 */

export interface FeatureFlagTarget extends Target {
  readonly kind: 'feature-flag';
  readonly flag: string;
}

export const FEATURE_FLAG_KIND: TargetKind<FeatureFlagTarget> = {
  kind: 'feature-flag',
  label: 'feature flag',
  schema: ({ fields }) =>
    z.strictObject({
      ...fields,
      kind: z.literal('feature-flag'),
      flag: z.string().regex(/^[a-z][a-z0-9-]*$/, 'is not a flag name'),
    }),
  toTarget: (raw, common) => ({ ...common, kind: 'feature-flag', flag: raw.flag as string }),
  activation: 'synchronous',
  endRemovesAccess: () => true,
  issuesCredentials: false,
  noCredentialsMessage: 'A feature flag has no credentials.',
  describe: (target) => ({ flag: target.flag }),
};

/** The flag service, in memory: who has which flag on, every call recorded. */
export class InMemoryFlags {
  readonly on = new Map<string, Set<string>>();
  readonly calls: string[] = [];
  enable(flag: string, who: string): void {
    this.calls.push(`enable ${flag} ${who}`);
    this.on.set(flag, (this.on.get(flag) ?? new Set()).add(who));
  }
  disable(flag: string, who: string): boolean {
    this.calls.push(`disable ${flag} ${who}`);
    return this.on.get(flag)?.delete(who) ?? false;
  }
  isOn(flag: string, who: string): boolean {
    return this.on.get(flag)?.has(who) ?? false;
  }
}

/** The runtime half over InMemoryFlags; a flag stays on while another live grant covers it. */
export function createFeatureFlagDriver(flags: InMemoryFlags): TargetDriver<FeatureFlagTarget> {
  const disableUnlessCovered = async (
    ctx: Parameters<TargetDriver['end']>[0],
    grant: AccessRequest,
    target: FeatureFlagTarget,
    now: Date,
  ): Promise<StepReceipt> => {
    const others = (await ctx.store.listLiveFor(grant.principal, grant.targetId)).filter(
      (g) => g.id !== grant.id && new Date(g.endsAt ?? 0) > now,
    );
    if (others[0]) return { detail: { flagKeptFor: others[0].id } };
    return { detail: { flag: target.flag, wasOn: flags.disable(target.flag, grant.principal) } };
  };
  return {
    kind: FEATURE_FLAG_KIND,
    grant: async (_ctx, grant, target) => {
      flags.enable(target.flag, grant.principal);
      return { detail: FEATURE_FLAG_KIND.describe(target) };
    },
    end: async (ctx, grant, target, _end, now) => {
      if (!target) throw new Error(`target ${grant.targetId} is not in the policy`);
      return disableUnlessCovered(ctx, grant, target, now);
    },
    sealDue: () => false,
    seal: (ctx, ended, target) => disableUnlessCovered(ctx, ended, target, ctx.clock.now()),
    sealFailureMessage: 'sealing a flag failed',
    retrySealInJob: false,
    revert: (ctx, grant, target, now) => disableUnlessCovered(ctx, grant, target, now),
  };
}
