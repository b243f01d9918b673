import type { SQSEvent } from 'aws-lambda';
import { createSweeperHandler } from '../../functions/sweeper/handler.js';
import { createGrantWorkerHandler } from '../../functions/grant-worker/handler.js';
import { createAwsClients } from '../../shared/adapters/aws/clients.js';
import { DynamoAuditDigests } from '../../shared/adapters/dynamodb/audit-digests.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import type { AuditEventInput } from '../../shared/domain/audit.js';
import type { GrantJob } from '../../shared/domain/ports.js';
import { createTargetDrivers } from '../../shared/targets/drivers.js';
import { IamGroupMembership } from '../../shared/targets/group/iam-group-membership.js';
import { IamSessionRevoker } from '../../shared/targets/role/iam-session-revoker.js';
import { StsSessionVendor } from '../../shared/targets/role/sts-session-vendor.js';
import { digestAuditDays } from '../../shared/usecases/digest-audit.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import type { AwsCallRecorder } from '../support/aws-call-recorder.js';
import { grantWorld } from '../support/fake-aws.js';
import { fakeWorld, ManualClock } from '../support/fakes.js';
import { evaluate, type Decision, type IamRequest, type RolePolicies } from '../support/iam-evaluation.js';
import type { LocalTables } from '../support/local-dynamo.js';

/**
 * The set-up the permissions proof (permissions-proven.test.ts) repeats from scenario to
 * scenario: real clients with their calls recorded, the grant side wired on them, the handlers
 * as the functions build them, and the tally of what was evaluated (the report's counts).
 */

export const START = '2026-11-27T09:00:00.000Z';
export const at = (hhmm: string) => `2026-11-27T${hhmm}:00.000Z`;
export const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const lambdaContext = { getRemainingTimeInMillis: () => 50_000 };

/** Real AWS clients (built as every function builds them), each call through them recorded. */
export function recordedClients(recorder: AwsCallRecorder, db: LocalTables) {
  const clients = createAwsClients({ maxAttempts: 1 });
  for (const client of [
    db.client,
    clients.iam,
    clients.sts,
    clients.sqs,
    clients.ssoAdmin,
    clients.identityStore,
    clients.organizations,
  ])
    recorder.attach(client);
  return clients;
}
export type RecordedClients = ReturnType<typeof recordedClients>;

/** The drivers beyond the IAM group and role ones (every kind's template adds them). */
type MoreDrivers = Omit<Parameters<typeof createTargetDrivers>[0], 'groups' | 'sessions' | 'denyList'>;

/**
 * The grant side as the worker (repairs in process) or the sweeper (repairs queued) is wired:
 * the test's tables, a clock at START, the IAM group and role drivers on recorded clients,
 * plus `more` drivers built on the same clients.
 */
export function recordedGrantWorld(
  recorder: AwsCallRecorder,
  db: LocalTables,
  options: {
    readonly policyYaml: string;
    readonly repairs: 'in-process' | 'queue';
    readonly more?: (clients: RecordedClients) => MoreDrivers;
  },
) {
  const w = grantWorld({
    store: db.requests,
    audit: db.audit,
    clock: new ManualClock(START),
    policyYaml: options.policyYaml,
    repairs: options.repairs,
  });
  const clients = recordedClients(recorder, db);
  const deps: GrantDeps = {
    ...w.deps,
    targets: createTargetDrivers({
      groups: new IamGroupMembership(clients.iam),
      sessions: new StsSessionVendor(clients.sts),
      denyList: new IamSessionRevoker(clients.iam, 300),
      ...options.more?.(clients),
    }),
  };
  return { ...w, clients, deps };
}

/** An SQS batch of grant jobs, as the queue delivers them to the worker. */
export const sqsEvent = (...jobs: GrantJob[]): SQSEvent =>
  ({
    Records: jobs.map((job, i) => ({
      messageId: `m-${i}`,
      receiptHandle: `rh-${i}`,
      body: JSON.stringify(job),
      attributes: { ApproximateReceiveCount: '1' },
    })),
  }) as unknown as SQSEvent;

/** The grant worker's handler over `deps`, as the function builds it. */
export function workerOn(deps: GrantDeps) {
  const run = createGrantWorkerHandler({ deps, maxAttempts: 5, logger: quiet });
  return Object.assign((...jobs: GrantJob[]) => run(sqsEvent(...jobs)), {
    /** Delivers `jobs`, then what failed again (an assignment still IN_PROGRESS, as SQS would). */
    async untilDone(...jobs: GrantJob[]): Promise<void> {
      let pending = jobs;
      for (let round = 0; round < 4 && pending.length > 0; round++) {
        const failed = new Set(
          (await run(sqsEvent(...pending))).batchItemFailures.map((f) => f.itemIdentifier),
        );
        pending = pending.filter((_, i) => failed.has(`m-${i}`));
      }
      if (pending.length > 0) throw new Error(`jobs still failing: ${JSON.stringify(pending)}`);
    },
  });
}

/** One sweep (and the sweeper's activity summaries, when given), as the function runs it. */
export function sweeperOn(
  w: { readonly deps: GrantDeps },
  activity?: Parameters<typeof createSweeperHandler>[0]['activity'],
) {
  const run = createSweeperHandler({
    deps: w.deps,
    requestDeps: fakeWorld().deps,
    concurrency: 2,
    logger: quiet,
    ...(activity ? { activity } : {}),
  });
  return () => run({}, lambdaContext);
}

/** An approval in the audit trail: what the anchor, the review and the archive have to read. */
export const approval = (fields: { readonly at: string; readonly targetId: string }): AuditEventInput => ({
  type: 'request.approved',
  actor: 'U0LEAD0001',
  subject: 'U0DEV00001',
  requestId: 'req-1',
  toStatus: 'APPROVED',
  breakGlass: false,
  ...fields,
});

/** The test's audit digests table, as the anchor function and the auditors' readers reach it. */
export const digestsOf = (db: LocalTables) => new DynamoAuditDigests(db.doc, db.names.auditDigests as string);

/** The auditors' reader as the audit and console APIs build it: a target's closed days from the digests. */
export const auditorsReader = (db: LocalTables) =>
  new DynamoAuditQuery(db.doc, db.names.audit, undefined, undefined, undefined, digestsOf(db));

/**
 * A closed day digested before a scenario (not recorded): an approval on `day` (before START's
 * day), then one digest run, so that a target's answers and verify read through the digests.
 */
export async function digestedDay(db: LocalTables, day: string, targetId = 'developers'): Promise<void> {
  await db.audit.append(approval({ at: `${day}T09:00:00.000Z`, targetId }));
  const run = await digestAuditDays({
    trail: new DynamoAuditQuery(db.doc, db.names.audit),
    digests: digestsOf(db),
    clock: new ManualClock(START),
    logger: quiet,
    metrics: { count: () => undefined },
    firstDay: day,
  });
  if (run.status !== 'digested' || !run.days.includes(day))
    throw new Error(`not digested: ${JSON.stringify(run)}`);
}

/** One evaluated request, for the report. */
export interface Evaluated {
  readonly fn: string;
  readonly scenario: string;
  readonly request: IamRequest;
  readonly decision: Decision;
}

/** A request IAM must refuse to `role`, whatever the code does, and why. */
export interface DenialRow {
  readonly who: string;
  readonly role: RolePolicies;
  readonly why: string;
  readonly request: IamRequest;
}

/** The tally of every request evaluated: the calls (each must be allowed) and the expected denials. */
export class ProofTally {
  readonly evaluated: Evaluated[] = [];
  readonly expectedDenials: Evaluated[] = [];

  /** Evaluates every row; returns those allowed (each one a hole in the policy). */
  async allowedOf(rows: readonly DenialRow[]): Promise<string[]> {
    const allowed: string[] = [];
    for (const row of rows) {
      const decision = await evaluate(row.role, row.request);
      this.expectedDenials.push({ fn: row.who, scenario: row.why, request: row.request, decision });
      if (decision === 'Allowed')
        allowed.push(`${row.who} ${row.request.action} ${row.request.resource} (${row.why})`);
    }
    return allowed;
  }

  /** The report's counts line. */
  line(): string {
    const { evaluated, expectedDenials } = this;
    const allowed = evaluated.filter((e) => e.decision === 'Allowed').length;
    const denied = expectedDenials.filter((e) => e.decision !== 'Allowed').length;
    const byFn = [...new Set(evaluated.map((e) => e.fn))]
      .map((fn) => `${fn} ${evaluated.filter((e) => e.fn === fn).length}`)
      .join(', ');
    return (
      `[permissions] ${evaluated.length} calls evaluated (${byFn}), ${allowed} allowed; ` +
      `${expectedDenials.length} expected denials, ${denied} denied`
    );
  }
}
