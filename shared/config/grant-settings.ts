import * as z from 'zod';
import { ENV, readEnv } from './env.js';
import { partitionOfRegion, type Partition } from '../domain/partition.js';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

/**
 * The grant side's settings: one list of variables, read by the Lambda wiring and the local
 * runner alike, so a setting is never honoured by one entry point and dropped by another.
 * Spread it into a larger shape to validate it together with an entry point's own variables.
 */
export const GRANT_SETTINGS_SHAPE = {
  [ENV.grantQueueUrl]: z.url().optional(),
  [ENV.grantMaxAttempts]: z.coerce.number().int().min(1).max(50).default(5),
  [ENV.sweepConcurrency]: z.coerce.number().int().min(1).max(200).default(10),
  [ENV.reconcileRemove]: flag,
  [ENV.federationUrl]: z.url().optional(),
  [ENV.consoleDestination]: z.url().optional(),
  [ENV.revokeMarginSeconds]: z.coerce.number().int().min(0).max(86_400).optional(),
  [ENV.metricsNamespace]: z.string().min(1).default('JitAccessBroker'),
  [ENV.managedIamPath]: z
    .string()
    .regex(/^\/([\w+=,.@-]+\/)+$/, 'is not an IAM path (like /jit/)')
    .optional(),
  /** Set by Lambda in every function: the partition of ARNs the broker builds is derived from it. */
  AWS_REGION: z.string().optional(),
};

type GrantSettingsEnv = Readonly<z.infer<z.ZodObject<typeof GRANT_SETTINGS_SHAPE>>>;

/** The grant side's settings, validated and named for what they do. */
export interface GrantSettings {
  /** Deliveries of an activate/revoke job before the grant is given up (FAILED / alert). */
  readonly maxAttempts: number;
  /** Grants the sweeper ends at once. */
  readonly sweepConcurrency: number;
  /** Whether the reconciler removes standing members or only reports them. */
  readonly reconcileRemove: boolean;
  /** The SQS grant queue (absent: no queue, as in the local runner). */
  readonly grantQueueUrl?: string;
  /** The sign-in federation endpoint (default: derived from the partition). */
  readonly federationUrl?: string;
  /** Where a console sign-in link lands. */
  readonly consoleDestination?: string;
  /** Seconds an early revoke's deny statement outlives the role's maximum session before it is pruned. */
  readonly revokeMarginSeconds?: number;
  readonly metricsNamespace: string;
  /** The IAM path of the roles and groups the broker manages (checked against the policy). */
  readonly managedIamPath?: string;
  /** The partition the broker runs in (from AWS_REGION): member accounts' agent role ARNs use it. */
  readonly partition: Partition;
}

/** Names the settings of an environment already validated against {@link GRANT_SETTINGS_SHAPE}. */
export function grantSettingsOf(env: GrantSettingsEnv): GrantSettings {
  const optional = <K extends keyof GrantSettings>(key: K, value: GrantSettings[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  return Object.freeze({
    maxAttempts: env[ENV.grantMaxAttempts],
    sweepConcurrency: env[ENV.sweepConcurrency],
    reconcileRemove: env[ENV.reconcileRemove],
    metricsNamespace: env[ENV.metricsNamespace],
    partition: partitionOfRegion(env.AWS_REGION),
    ...optional('grantQueueUrl', env[ENV.grantQueueUrl]),
    ...optional('federationUrl', env[ENV.federationUrl]),
    ...optional('consoleDestination', env[ENV.consoleDestination]),
    ...optional('revokeMarginSeconds', env[ENV.revokeMarginSeconds]),
    ...optional('managedIamPath', env[ENV.managedIamPath]),
  });
}

/** Reads and validates the grant settings (throws ConfigError naming each bad variable). */
export function readGrantSettings(
  source: Readonly<Record<string, string | undefined>> = process.env,
): GrantSettings {
  return grantSettingsOf(readEnv(GRANT_SETTINGS_SHAPE, source));
}
