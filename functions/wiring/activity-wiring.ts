import { createCloudTrailClient } from '../../shared/adapters/aws/clients.js';
import { CloudTrailActivityLookup } from '../../shared/adapters/aws/cloudtrail-activity.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { DynamoSweepWatermarks } from '../../shared/adapters/dynamodb/sweep-watermarks.js';
import {
  LOOKUP_EVENTS_PER_SECOND,
  readActivitySettings,
  type ActivitySettings,
} from '../../shared/config/activity-settings.js';
import { TokenBucket, type ActivityLookup, type SweepWatermarks } from '../../shared/domain/activity.js';
import type { AuditReader } from '../../shared/domain/audit-query.js';
import {
  agentRoleCredentials,
  type AgentRoleOptions,
} from '../../shared/targets/group/member-account-groups.js';
import { DEFAULT_AGENT_ROLE_NAME } from '../../shared/targets/group/kind.js';
import { permissionSetSessionsOf } from '../../shared/targets/permission-set/activity-session.js';
import type { IdentityCenterAdmin } from '../../shared/targets/permission-set/ports.js';
import { roleSessionOf } from '../../shared/targets/role/activity-session.js';

import type { ActivityDeps } from '../../shared/usecases/summarise-activity.js';
import type { BaseWiring } from './base-wiring.js';

/** The ports of the activity lookups, with the reader the periodic run finds ended grants through. */
export type ActivityWiring = ActivityDeps & {
  readonly reader: AuditReader;
  /** Where the last sweep stopped reading the trail (each run reads only what is new). */
  readonly watermarks: SweepWatermarks;
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
  /** Names a permission set given by ARN (sso-admin DescribePermissionSet); without, only named sets are summarised. */
  readonly permissionSets?: Pick<IdentityCenterAdmin, 'permissionSet'>;
  /**
   * The broker's STS client: a session in another account than `settings.account` (an
   * Identity Center session in a member account) is looked up there through its agent role.
   */
  readonly sts?: AgentRoleOptions['sts'];
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
  const sts = options.sts;
  const clientFor = (account: string, region: string) => {
    // Why: LookupEvents reads only the caller's account, so a member account's trail is read
    // with that account's agent role (its one CloudTrail statement, infra/agent-role-stack.ts).
    const own = settings.account === undefined || account === settings.account || sts === undefined;
    const key = own ? region : `${account}/${region}`;
    let client = clients.get(key);
    if (!client) {
      client = own
        ? createCloudTrailClient({ region })
        : createCloudTrailClient(
            { region },
            agentRoleCredentials(
              { sts, sessionName: 'jit-broker-activity' },
              account,
              DEFAULT_AGENT_ROLE_NAME,
            ),
          );
      clients.set(key, client);
    }
    return client;
  };
  const sessions = roleSessionOf(base.policy);
  const identityCenterSessions = permissionSetSessionsOf(base.policy, options.permissionSets);
  // Identity Center sessions of member accounts need the agent role there (no STS: own account only).
  const reachable = (account: string) =>
    settings.account === undefined || account === settings.account || sts !== undefined;
  return {
    settings,
    store: base.store,
    audit: base.audit,
    reader: new DynamoAuditQuery(base.doc, base.tables.audit),
    watermarks: new DynamoSweepWatermarks(base.doc, base.tables.audit),
    lookup: options.lookup ?? new CloudTrailActivityLookup(clientFor),
    budget: options.budget ?? processBudget,
    clock: base.clock,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    events,
    // Why: LookupEvents sees only the broker's own account; a session elsewhere would read as idle.
    sessionOf: async (request) => {
      const session = sessions(request);
      if (session) {
        return settings.account === undefined || session.account === settings.account ? session : undefined;
      }
      const identityCenter = (await identityCenterSessions(request))?.filter((s) => reachable(s.account));
      return identityCenter?.length ? identityCenter : undefined;
    },
    regions: settings.regions,
  };
}
