import type { ConsoleLinkMaker, GrantMetrics, MembershipRepairs } from '../domain/grant-ports.js';
import type {
  AuditLog,
  Clock,
  CredentialsDelivery,
  EventPublisher,
  PolicySource,
  RequestStore,
} from '../domain/ports.js';
import type { TargetDrivers } from '../domain/target-kind.js';
import type { TicketSystems } from '../domain/tickets.js';
import type { UseCaseLogger } from './deps.js';

/** The ports the grant side (worker, sweeper, reconciler) needs. Wired once per entry point. */
export interface GrantDeps {
  readonly store: RequestStore;
  readonly audit: AuditLog;
  readonly policy: PolicySource;
  readonly clock: Clock;
  readonly events: EventPublisher;
  readonly logger: UseCaseLogger;
  /** The wired target drivers (shared/targets/drivers.ts): every AWS step of a kind goes through them. */
  readonly targets: TargetDrivers;
  readonly consoleLinks: ConsoleLinkMaker;
  readonly delivery: CredentialsDelivery;
  readonly metrics: GrantMetrics;
  /**
   * Restores a membership an overlapping grant's end took away. Never a driver's `grant` or
   * `restore` from the revoke path: the sweeper may only remove (see shared/usecases/restore-membership.ts).
   */
  readonly repairs: MembershipRepairs;
  /** Jira / ServiceNow lookups, for grants that end when their ticket closes (absent: never checked). */
  readonly tickets?: TicketSystems;
}

/** The actor recorded for the grant side's own actions. */
export const ACTORS = {
  worker: 'system:grant-worker',
  sweeper: 'system:sweeper',
  reconciler: 'system:reconciler',
} as const;
