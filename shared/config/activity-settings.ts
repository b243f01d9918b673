import * as z from 'zod';
import { ENV, readEnv } from './env.js';

/** CloudTrail delivers an event within about 15 minutes of the call. */
export const DEFAULT_ACTIVITY_SETTLE_SECONDS = 900;

/** How far back the sweep looks for ended grants without a summary (days of the by-day index). */
export const ACTIVITY_LOOKBACK_DAYS = 1;

/** LookupEvents allows about 2 calls per second per account and Region. */
export const LOOKUP_EVENTS_PER_SECOND = 2;

const ACTIVITY_SHAPE = {
  [ENV.activityRegions]: z
    .string()
    .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'is not a comma-separated list of Regions (eu-west-1,us-east-1)')
    .optional(),
  [ENV.activityAccount]: z
    .string()
    .regex(/^\d{12}$/, 'is not a 12-digit account id')
    .optional(),
  [ENV.activitySettleSeconds]: z.coerce.number().int().min(0).max(86_400).optional(),
  AWS_REGION: z.string().min(1).optional(),
};

/** Where and when the grants' CloudTrail activity is looked up. */
export interface ActivitySettings {
  /** The Regions whose CloudTrail is read (LookupEvents is regional): ACTIVITY_REGIONS, else the function's Region. */
  readonly regions: readonly string[];
  /**
   * The account whose CloudTrail the broker can read (LookupEvents sees only the caller's
   * account). Role sessions in other accounts are skipped rather than summarised as idle.
   * Absent: every account (the local sandbox).
   */
  readonly account?: string;
  /** A grant is summarised this long after it ended (CloudTrail's delivery delay). */
  readonly settleSeconds: number;
}

/** Reads and validates the activity settings (throws ConfigError naming each bad variable). */
export function readActivitySettings(
  source: Readonly<Record<string, string | undefined>> = process.env,
): ActivitySettings {
  const env = readEnv(ACTIVITY_SHAPE, source);
  const regions = env[ENV.activityRegions]?.split(',') ?? [env.AWS_REGION ?? 'us-east-1'];
  const account = env[ENV.activityAccount];
  return Object.freeze({
    regions,
    ...(account === undefined ? {} : { account }),
    settleSeconds: env[ENV.activitySettleSeconds] ?? DEFAULT_ACTIVITY_SETTLE_SECONDS,
  });
}
