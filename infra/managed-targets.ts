import type { AccessPolicy } from '../shared/domain/policy.js';
import { targetKindOf } from '../shared/targets/kinds.js';

/** The IAM path under which the broker may touch groups and roles (and nothing outside it). */
export const DEFAULT_MANAGED_IAM_PATH = '/jit/';

/** The IAM path of the broker's own roles and boundary: outside the managed path, so out of its reach. */
export const BROKER_IAM_PATH = '/jit-broker/';

const IAM_PATH = /^\/([\w+=,.@-]+\/)+$/;

/** The ARN parts a stack knows (tokens in an environment-agnostic stack). */
export interface ArnScope {
  readonly partition: string;
  readonly account: string;
}

/** What the broker may touch, derived from the access policy at synth time. */
export interface ManagedTargets {
  readonly managedPath: string;
  /** Exact ARNs of the policy's group targets, all under the managed path. */
  readonly groupArns: readonly string[];
  /** Exact ARNs of the policy's role targets, as the policy names them. */
  readonly roleArns: readonly string[];
  /** Every group under the managed path, in the stack's account (for the permissions boundary). */
  readonly groupPathPattern: string;
  /** Every role under the managed path, per account that a role target names (for the boundary). */
  readonly rolePathPatterns: readonly string[];
}

/** A managed-path or policy problem found at synth time; the message names the path and reason. */
export class ManagedTargetError extends Error {
  override readonly name = 'ManagedTargetError';
}

/** Checks that `path` is an IAM path such as `/jit/` and returns it. */
export function validateManagedPath(path: string): string {
  if (!IAM_PATH.test(path)) {
    throw new ManagedTargetError(`managedIamPath: "${path}" is not an IAM path (like /jit/)`);
  }
  if (path === BROKER_IAM_PATH) {
    throw new ManagedTargetError(`managedIamPath: "${path}" is the broker's own path`);
  }
  return path;
}

/**
 * Derives the exact group and role ARNs the broker may act on. Every role target must sit
 * under the managed path: a policy naming a role outside it fails the synth, because the
 * broker's grants (and its permissions boundary) never reach outside that path.
 */
export function managedTargets(policy: AccessPolicy, managedPath: string, scope: ArnScope): ManagedTargets {
  validateManagedPath(managedPath);
  const groupArns = new Set<string>();
  const roleArns = new Set<string>();
  const problems: string[] = [];
  const arnsOf = { group: groupArns, role: roleArns };
  policy.targets.forEach((target, i) => {
    // Each kind says which IAM resource a target is (shared/targets/<kind>/kind.ts).
    const reach = targetKindOf(target.kind)?.iamResource?.(target, { ...scope, managedPath });
    if (!reach) return;
    if ('problem' in reach) problems.push(`targets[${i}].${reach.key}: ${reach.problem}`);
    else arnsOf[reach.type].add(reach.arn);
  });
  if (problems.length > 0) throw new ManagedTargetError(problems.join('\n'));
  return {
    managedPath,
    groupArns: [...groupArns],
    roleArns: [...roleArns],
    groupPathPattern: `arn:${scope.partition}:iam::${scope.account}:group${managedPath}*`,
    rolePathPatterns: [
      ...new Set(
        [...roleArns].map((arn) => {
          const [, partition, , , account] = arn.split(':');
          return `arn:${partition}:iam::${account}:role${managedPath}*`;
        }),
      ),
    ],
  };
}
