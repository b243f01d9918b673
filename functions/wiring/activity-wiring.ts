import { createCloudTrailClient } from '../../shared/adapters/aws/clients.js';
import { CloudTrailActivityLookup } from '../../shared/adapters/aws/cloudtrail-activity.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import {
  LOOKUP_EVENTS_PER_SECOND,
  readActivitySettings,
  type ActivitySettings,
} from '../../shared/config/activity-settings.js';
import { TokenBucket, type ActivityLookup } from '../../shared/domain/activity.js';
import type { AuditReader } from '../../shared/domain/audit-query.js';
import { roleSessionOf } from '../../shared/targets/role/activity-session.js';
import type { ActivityDeps } from '../../shared/usecases/summarise-activity.js';
import type { BaseWiring } from './base-wiring.js';

/** The ports of the activity lookups, with the reader the periodic run finds ended grants through. */
export type ActivityWiring = ActivityDeps & {
  readonly reader: AuditReader;
  readonly settings: ActivitySettings;
};

/**
 * One bucket per process: every lookup of a warm function (each sweep, the on-demand
 * command) draws from it, so together they stay within LookupEvents' ~2 calls/s.
 */
const processBudget = new TokenBucket(LOOKUP_EVENTS_PER_SECOND);

export interface ActivityWiringOptions {
  /** Validated settings (the local runner's); otherwise read from `base.env`. */
  readonly settings?: ActivitySettings;
  /** Instead of CloudTrail through the SDK (the local sandbox's recorded calls). */
  readonly lookup?: ActivityLookup;
  readonly budget?: TokenBucket;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The activity ports over a wiring: CloudTrail `LookupEvents` (one client per Region, built
 * once, `AWS_ENDPOINT_URL_CLOUDTRAIL` honoured), the role sessions of the policy's role
 * targets, the shared budget, and the audit reader (the by-day index) as the queue.
 */
export function createActivityWiring(
  base: Pick<BaseWiring, 'store' | 'audit' | 'clock' | 'policy' | 'doc' | 'tables' | 'env'>,
  events: ActivityDeps['events'],
  options: ActivityWiringOptions = {},
): ActivityWiring {
  const settings = options.settings ?? readActivitySettings(base.env);
  const clients = new Map<string, ReturnType<typeof createCloudTrailClient>>();
  const clientFor = (_account: string, region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = createCloudTrailClient({ region });
      clients.set(region, client);
    }
    return client;
  };
  const sessions = roleSessionOf(base.policy);
  return {
    settings,
    store: base.store,
    audit: base.audit,
    reader: new DynamoAuditQuery(base.doc, base.tables.audit),
    lookup: options.lookup ?? new CloudTrailActivityLookup(clientFor),
    budget: options.budget ?? processBudget,
    clock: base.clock,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    events,
    // Why: LookupEvents sees only the broker's own account; a session elsewhere would read as idle.
    sessionOf: (request) => {
      const session = sessions(request);
      return session && (settings.account === undefined || session.account === settings.account)
        ? session
        : undefined;
    },
    regions: settings.regions,
  };
}
