import type {
  AuditLog,
  Clock,
  GrantQueue,
  IdGenerator,
  EventPublisher,
  PolicySource,
  RequestStore,
} from '../domain/ports.js';
import type { TicketSystems } from '../domain/tickets.js';
import type { OnCallRoster } from '../domain/on-call.js';
import type { PolicyProvenance } from './policy-provenance.js';
import type { AccountDirectory } from '../domain/account-directory.js';

/** Where use cases report problems that must not undo a transition (a failed event subscriber). */
export interface UseCaseLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
}

/** The ports the request-side use cases need. Wired once per entry point. */
export interface RequestDeps {
  readonly store: RequestStore;
  readonly audit: AuditLog;
  readonly policy: PolicySource;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly events: EventPublisher;
  readonly queue: GrantQueue;
  readonly logger: UseCaseLogger;
  /** Jira / ServiceNow lookups for targets with a `ticket:` check (absent: unreachable). */
  readonly tickets?: TicketSystems;
  /** Who is on call now, for on-call people sets (absent: nobody is; see identify-person.ts). */
  readonly onCall?: OnCallRoster;
  /** Records the policy version and rule on decision events (absent: events carry no provenance). */
  readonly provenance?: PolicyProvenance;
  /** Account names and the accounts a target reaches (absent: no account picker, ids shown bare). */
  readonly accounts?: AccountDirectory;
}
