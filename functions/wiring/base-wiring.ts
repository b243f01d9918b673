import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { DynamoAuditLog } from '../../shared/adapters/dynamodb/audit-log.js';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoRequestStore } from '../../shared/adapters/dynamodb/request-store.js';
import type { TableNames } from '../../shared/adapters/dynamodb/tables.js';
import { systemClock, UlidGenerator } from '../../shared/adapters/ids.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import { loadBundledPolicy } from '../../shared/config/bundled-policy.js';
import { DynamoPolicyVersions } from '../../shared/adapters/dynamodb/policy-versions.js';
import type { PolicyVersion } from '../../shared/domain/provenance.js';
import { keptPolicyVersion } from '../../shared/usecases/policy-provenance.js';
import { ConfigError } from '../../shared/domain/errors.js';
import type { AccessPolicy } from '../../shared/domain/policy.js';
import type { Clock, GrantQueue, IdGenerator, PolicySource } from '../../shared/domain/ports.js';
import type { RequestDeps, UseCaseLogger } from '../../shared/usecases/deps.js';
import {
  onCallRosterFromEnv,
  ticketSystemsFromEnv,
} from '../../shared/adapters/tickets/integration-settings.js';
import type { OnCallRoster } from '../../shared/domain/on-call.js';
import type { TicketSystems } from '../../shared/domain/tickets.js';

/** The DynamoDB document client type, without importing the SDK here. */
export type DocumentClient = ReturnType<typeof createDocumentClient>;

/** Environment every entry point needs. */
const baseEnvShape = {
  [ENV.requestsTable]: z.string().min(1),
  [ENV.auditTable]: z.string().min(1),
  [ENV.policyPath]: z.string().min(1),
};

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * What every Lambda entry point shares: configuration read once and validated, the
 * DynamoDB document client, the request store and audit trail on it, the access policy
 * (validated and frozen), a structured logger, the clock and id generator.
 */
export interface BaseWiring {
  /** The validated environment this wiring was built from. */
  readonly env: EnvSource;
  readonly tables: TableNames;
  readonly doc: DocumentClient;
  readonly audit: DynamoAuditLog;
  readonly store: DynamoRequestStore;
  readonly policy: PolicySource;
  /** The policy file's version (decision provenance); absent when a parsed policy was passed in. */
  readonly policyVersion?: PolicyVersion;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Ticket systems and on-call providers configured in the environment (none by default). */
  readonly integrations: { readonly tickets: TicketSystems; readonly onCall: OnCallRoster };
}

export interface BaseWiringOptions {
  /** Defaults to process.env. */
  readonly env?: EnvSource;
  /** A prepared client (tests, DynamoDB Local); otherwise one built from the SDK's environment. */
  readonly doc?: DocumentClient;
  /** An already-loaded policy; otherwise the policy bundled at POLICY_PATH is read (shared/config/bundled-policy.ts). */
  readonly policy?: AccessPolicy;
  /** The version of the already-loaded policy's file (decision provenance). */
  readonly policyVersion?: PolicyVersion;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** The Powertools service name (logs). */
  readonly serviceName?: string;
}

/**
 * Builds the shared wiring. Does no network I/O: the policy is a file in the bundle and the
 * clients connect on first use. Throws ConfigError naming a bad variable, PolicyError naming
 * a bad policy path.
 */
export function createBaseWiring(options: BaseWiringOptions = {}): BaseWiring {
  const env = options.env ?? process.env;
  const config = readEnv({ ...baseEnvShape, [ENV.policyPath]: z.string().min(1).optional() }, env);
  const tables: TableNames = { requests: config[ENV.requestsTable], audit: config[ENV.auditTable] };
  const policyPath = config[ENV.policyPath];
  if (!options.policy && policyPath === undefined) {
    throw new ConfigError(`Invalid configuration:\n  ${ENV.policyPath}: is required`);
  }
  const loaded = options.policy ? undefined : loadBundledPolicy(policyPath as string);
  const policy = options.policy ?? (loaded as NonNullable<typeof loaded>).policy;
  const doc = options.doc ?? createDocumentClient();
  const audit = new DynamoAuditLog(doc, tables.audit);
  const store = new DynamoRequestStore(doc, tables.requests, audit);
  const logger =
    options.logger ??
    new Logger(options.serviceName === undefined ? {} : { serviceName: options.serviceName });
  return {
    env,
    tables,
    doc,
    audit,
    store,
    policy: { current: () => policy },
    ...(loaded ? { policyVersion: loaded.version } : {}),
    ...(options.policyVersion ? { policyVersion: options.policyVersion } : {}),
    logger,
    clock: options.clock ?? systemClock,
    ids: options.ids ?? new UlidGenerator(),
    integrations: { tickets: ticketSystemsFromEnv(env), onCall: onCallRosterFromEnv(env) },
  };
}

let cached: BaseWiring | undefined;

/** The process-wide wiring, built on first use (a warm Lambda reuses it). */
export function baseWiring(serviceName?: string): BaseWiring {
  cached ??= createBaseWiring(serviceName === undefined ? {} : { serviceName });
  return cached;
}

/**
 * The request side's ports over a wiring, but for the event publisher (the Slack app builds
 * its own over its Web API client; the grant side passes its lazily built one; both from
 * event-wiring.ts): one place that says what RequestDeps are made of, for every entry point.
 */
export function requestPorts(
  base: BaseWiring,
  queue: GrantQueue,
  logger: UseCaseLogger,
): Omit<RequestDeps, 'events'> {
  const versions = new DynamoPolicyVersions(base.doc, base.tables.audit, base.clock);
  return {
    ...(base.policyVersion ? { provenance: keptPolicyVersion(versions, base.policyVersion) } : {}),
    store: base.store,
    audit: base.audit,
    policy: base.policy,
    clock: base.clock,
    ids: base.ids,
    queue,
    logger,
    tickets: base.integrations.tickets,
    onCall: base.integrations.onCall,
  };
}

/** The use cases' logger over Powertools: structured fields on every line. */
export function useCaseLogger(logger: Logger): UseCaseLogger {
  return {
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
  };
}

/** The Slack listeners' logger: the use cases' one plus `error` for failed listeners. */
export function listenerLogger(
  logger: Logger,
): UseCaseLogger & { error(message: string, fields?: Record<string, unknown>): void } {
  return {
    ...useCaseLogger(logger),
    error: (message: string, fields?: Record<string, unknown>) => logger.error(message, { ...fields }),
  };
}
