import type {
  ConsoleLinkMaker,
  GrantMetrics,
  GroupMembership,
  RoleDenyList,
  SessionVendor,
} from '../domain/grant-ports.js';
import type {
  AuditLog,
  Clock,
  CredentialsDelivery,
  Notifier,
  PolicySource,
  RequestStore,
} from '../domain/ports.js';
import type { UseCaseLogger } from './deps.js';

/** The ports the grant side (worker, sweeper, reconciler) needs. Wired once per entry point. */
export interface GrantDeps {
  readonly store: RequestStore;
  readonly audit: AuditLog;
  readonly policy: PolicySource;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly logger: UseCaseLogger;
  readonly groups: GroupMembership;
  readonly sessions: SessionVendor;
  readonly denyList: RoleDenyList;
  readonly consoleLinks: ConsoleLinkMaker;
  readonly delivery: CredentialsDelivery;
  readonly metrics: GrantMetrics;
}

/** The actor recorded for the grant side's own actions. */
export const ACTORS = {
  worker: 'system:grant-worker',
  sweeper: 'system:sweeper',
  reconciler: 'system:reconciler',
} as const;
