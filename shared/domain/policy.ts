import safeRegex from 'safe-regex2';
import * as z from 'zod';
import { tryParseDuration } from './duration.js';
import { TARGET_KINDS } from '../targets/kinds.js';
import { PolicyError } from './errors.js';
import type { TargetKind, TargetSchemaBase } from './target-kind.js';
import { canonicalPersonKey, personKey, tryParsePerson, type ResolvedPerson } from './person.js';
import { controlCharacterProblem } from './text.js';
import { ON_CALL_PROVIDERS, type OnCallSource } from './on-call.js';
import { TICKET_SYSTEMS, TICKET_UNREACHABLE_POLICIES, type TicketRule } from './tickets.js';

/**
 * The access policy as code: targets and rules, validated once at start-up.
 * A target is of a registered kind (shared/targets/: a role's time-boxed STS session, a
 * group's temporary IAM membership...); each kind brings its own policy fragment.
 * People are referenced through named sets (`people:`), so a rule reads as "leads approve",
 * not as a list of opaque ids. A set names people by Slack user id (the shorthand) or
 * provider-qualified person (`oidc:alice@example.com`, see person.ts), by email, by Slack
 * user group, or by identity-provider group.
 */

const SLACK_USERGROUP_ID = /^S[A-Z0-9]{2,}$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const SET_NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** Usable as an STS SourceIdentity and an IAM user name (policy overrides and mapped emails alike). */
export const AWS_IDENTITY = /^[\w+=,.@-]{2,64}$/;

/** Ticket patterns are short anchors like `^(OPS|INC)-[0-9]+$`; a long one hides mistakes. */
export const MAX_TICKET_PATTERN_LENGTH = 200;

/** The requesters keyword that opens a target to every Slack user of the workspace. */
export const EVERYONE = 'everyone';

const duration = z.string().refine((v) => tryParseDuration(v) !== undefined, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a duration (try 15m, 1h or 1h30m)`,
});

/**
 * What is wrong with a ticket pattern, or undefined. Why: the pattern runs on text typed by
 * requesters inside the Slack handler; one with nested repetition such as `^(a+)+$` takes
 * exponential time on a short ticket and stalls every request. safe-regex2 refuses star
 * height above one (and more than 25 repetitions); it cannot see every ambiguity (an
 * alternation of overlapping branches under a repetition), which is why tickets are also
 * bounded (MAX_TICKET_LENGTH) before any pattern runs.
 */
function ticketPatternProblem(pattern: string): string | undefined {
  const quoted = JSON.stringify(pattern);
  try {
    new RegExp(pattern);
  } catch {
    return `${quoted} is not a valid regular expression`;
  }
  if (pattern.length > MAX_TICKET_PATTERN_LENGTH) {
    return `is longer than ${MAX_TICKET_PATTERN_LENGTH} characters (ticket patterns are short anchors such as ^(OPS|INC)-[0-9]+$)`;
  }
  if (!safeRegex(pattern)) {
    return `${quoted} may take exponential time (catastrophic backtracking); use a pattern without nested repetition, such as ^(OPS|INC)-[0-9]+$`;
  }
  return undefined;
}

/** Refuses text that would display differently from what it is (ANSI escapes, bidi overrides). */
const printableLine = z.string().superRefine((value, ctx) => {
  const problem = controlCharacterProblem('the text', value, { multiline: false });
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A person as the policy writes one: a Slack user id or a qualified person; kept in canonical form. */
const personRef = z
  .string()
  .superRefine((text, ctx) => {
    const parsed = tryParsePerson(text);
    if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
  })
  .transform((text) => canonicalPersonKey(text) ?? text);

/** A PagerDuty or Opsgenie schedule / escalation policy id: it goes into a URL, so a plain token. */
const onCallId = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'is not a schedule or escalation policy id');

/** An email, one line of printable text; compared lower-cased. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const peopleSet = z.strictObject({
  users: z.array(personRef).default([]),
  userGroups: z.array(z.string().regex(SLACK_USERGROUP_ID, 'is not a Slack user group id (S…)')).default([]),
  emails: z
    .array(
      printableLine
        .max(254)
        .regex(EMAIL, 'is not an email address')
        .transform((e) => e.toLowerCase()),
    )
    .default([]),
  idpGroups: z.array(printableLine.min(1).max(256)).default([]),
  /** Whoever is on call now in a PagerDuty or Opsgenie schedule (see on-call.ts). */
  onCall: z
    .strictObject({
      provider: z.enum(ON_CALL_PROVIDERS),
      schedules: z.array(onCallId).default([]),
      escalationPolicies: z.array(onCallId).default([]),
      grantsEndWithShift: z.boolean().default(false),
    })
    .optional(),
});

/** A target's ticket check in Jira or ServiceNow (see tickets.ts). */
const ticketRule = z.strictObject({
  system: z.enum(TICKET_SYSTEMS),
  table: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,79}$/, 'is not a ServiceNow table name')
    .optional(),
  mustBeOpen: z.boolean().default(true),
  assignedToRequester: z.boolean().default(false),
  endWhenClosed: z.boolean().default(false),
  onUnreachable: z.enum(TICKET_UNREACHABLE_POLICIES),
});

const targetBase = {
  id: z.string().regex(SET_NAME, 'must be lower-case letters, digits and dashes'),
  description: printableLine.min(1).max(300),
  requesters: z.array(z.string()).min(1),
  approvers: z.array(z.string()).default([]),
  approvalsRequired: z.number().int().min(1).max(10).default(1),
  selfApproval: z.boolean().default(false),
  maxDuration: duration,
  defaultDuration: duration,
  requireReason: z.boolean().default(true),
  requireTicket: z.boolean().default(false),
  ticketPattern: z
    .string()
    .superRefine((pattern, ctx) => {
      const problem = ticketPatternProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  autoApprove: z.boolean().default(false),
  /** Sets whose members' requests are approved automatically (e.g. whoever is on call). */
  autoApproveFor: z.array(z.string()).optional(),
  ticket: ticketRule.optional(),
  breakGlass: z.boolean().default(false),
  approvalChannel: z.string().regex(SLACK_CHANNEL_ID, 'is not a Slack channel id (C…)').optional(),
  notifyChannel: z.string().regex(SLACK_CHANNEL_ID, 'is not a Slack channel id (C…)').optional(),
  /** The one-tap "Extend" of the expiry warning; absent: no grace, every extension is approved. */
  graceExtension: z.strictObject({ once: z.boolean().default(true), max: duration }).optional(),
  /** Approval stages in order, each M-of-N (see approval-stages.ts); absent: one stage from approvers. */
  stages: z
    .array(
      z.strictObject({
        name: printableLine.min(1).max(80).optional(),
        approvers: z.array(z.string()).min(1),
        required: z.number().int().min(1).max(10).default(1),
      }),
    )
    .min(1)
    .max(5)
    .optional(),
  /** Backup approvers told once per stage when the current stage has not decided in time. */
  escalation: z.strictObject({ after: duration, to: z.array(z.string()).min(1) }).optional(),
};

/**
 * What the policy-wide schema checks of each target: the shared base and the kind's name.
 * The rest of a target (its own fields, unknown keys) is its kind's fragment, checked in
 * validatePolicy against the kinds given (see shared/domain/target-kind.ts).
 */
const target = z.looseObject({ ...targetBase, kind: z.string() });

/** The shared building blocks every kind's fragment extends. */
const TARGET_SCHEMA_BASE: TargetSchemaBase = { fields: targetBase, duration };

const policyShape = z.strictObject({
  version: z.literal(1),
  people: z.record(
    z.string().regex(SET_NAME, 'set names are lower-case letters, digits and dashes'),
    peopleSet,
  ),
  identities: z
    .record(
      // Keys are persons (a Slack id or a qualified person), checked in checkIdentitiesDistinct.
      z.string(),
      z.string().regex(AWS_IDENTITY, 'is not a usable AWS user name / source identity'),
    )
    .default({}),
  identityEmailDomain: z.string().optional(),
  breakGlass: z
    .strictObject({
      responders: z.array(z.string()).min(1),
      reviewers: z.array(z.string()).min(1),
      securityChannel: z.string().regex(SLACK_CHANNEL_ID, 'is not a Slack channel id (C…)'),
      maxDuration: duration.default('1h'),
    })
    .optional(),
  approvalTimeout: duration.default('24h'),
  renotifyAfter: duration.default('1h'),
  security: z.array(z.string()).min(1).optional(),
  /** How long before a grant ends its holder is warned (with the grace "Extend" button). */
  warnBefore: duration.default('10m'),
  /** How far ahead a requester may schedule the start of a grant. */
  maxLeadTime: duration.default('7d'),
  api: z
    .strictObject({
      // AWS principal ARN (an IAM user, or an assumed-role session) → person, checked in personOfApiCaller.
      callers: z
        .record(
          z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/, 'is not an IAM or STS principal ARN'),
          personRef,
        )
        .default({}),
      emailSessionRoles: z
        .array(z.string().regex(/^[\w+=,.@-]{1,64}$/, 'is not an IAM role name'))
        .default([]),
    })
    .optional(),
  targets: z.array(target).min(1),
});

type RawPolicy = z.infer<typeof policyShape>;
type RawTarget = RawPolicy['targets'][number];
type Path = (string | number)[];

function issue(ctx: z.RefinementCtx, path: Path, message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/**
 * Checks across the whole policy. Every check is linear in the size of the policy (sets
 * and maps, never a scan per entry), so a policy of thousands of targets loads in well
 * under a second.
 */
function checkPolicy(policy: RawPolicy, ctx: z.RefinementCtx): void {
  const sets = new Set(Object.keys(policy.people));
  const checkRefs = (refs: readonly string[], path: Path, allowEveryone: boolean) => {
    refs.forEach((ref, i) => {
      if (allowEveryone && ref === EVERYONE) return;
      if (!sets.has(ref)) issue(ctx, [...path, i], `"${ref}" is not a set defined under people`);
    });
  };
  const ids = new Set<string>();
  policy.targets.forEach((t, i) => {
    const at = (key: string): Path => ['targets', i, key];
    if (ids.has(t.id)) issue(ctx, at('id'), `"${t.id}" is used twice`);
    ids.add(t.id);
    checkRefs(t.requesters, at('requesters'), true);
    checkRefs(t.approvers, at('approvers'), false);
    checkStages(policy, t, at, ctx, checkRefs);
    const max = tryParseDuration(t.maxDuration) ?? 0;
    const def = tryParseDuration(t.defaultDuration) ?? 0;
    if (def > max) {
      issue(
        ctx,
        at('defaultDuration'),
        `"${t.defaultDuration}" is longer than maxDuration "${t.maxDuration}"`,
      );
    }
    if (!t.autoApprove && t.approvers.length === 0 && !t.stages) {
      issue(ctx, at('approvers'), 'a target without autoApprove needs at least one approver set');
    }
    checkApprovalsReachable(policy, t, at, ctx);
    const grace = t.graceExtension ? tryParseDuration(t.graceExtension.max) : undefined;
    if (grace !== undefined && grace > max) {
      issue(
        ctx,
        [...at('graceExtension'), 'max'],
        `"${t.graceExtension?.max}" is longer than maxDuration "${t.maxDuration}"`,
      );
    }
    if (t.ticketPattern && !t.requireTicket) {
      issue(ctx, at('ticketPattern'), 'is set but requireTicket is false');
    }
    if (t.autoApproveFor) checkRefs(t.autoApproveFor, at('autoApproveFor'), false);
    if (t.ticket && !t.requireTicket) {
      issue(ctx, at('ticket'), 'is set but requireTicket is false');
    }
    if (t.ticket?.table !== undefined && t.ticket.system !== 'servicenow') {
      issue(ctx, [...at('ticket'), 'table'], 'is a ServiceNow setting; this ticket system is not ServiceNow');
    }
    if (t.breakGlass && !policy.breakGlass) {
      issue(
        ctx,
        at('breakGlass'),
        'is true but the policy has no breakGlass section (responders, reviewers, securityChannel)',
      );
    }
  });
  checkIdentitiesDistinct(policy.identities, ctx);
  checkOnCallSources(policy, ctx);
  const renotify = tryParseDuration(policy.renotifyAfter);
  const timeout = tryParseDuration(policy.approvalTimeout);
  if (renotify !== undefined && timeout !== undefined && renotify >= timeout) {
    issue(
      ctx,
      ['renotifyAfter'],
      `"${policy.renotifyAfter}" is not shorter than approvalTimeout "${policy.approvalTimeout}" (the reminder could never be sent)`,
    );
  }
  if (policy.security) checkRefs(policy.security, ['security'], false);
  if (policy.breakGlass) {
    checkRefs(policy.breakGlass.responders, ['breakGlass', 'responders'], false);
    checkRefs(policy.breakGlass.reviewers, ['breakGlass', 'reviewers'], false);
  }
}

/**
 * Stages replace approvers/approvalsRequired (two rules for one target would leave it unclear
 * which one decides); each stage must be satisfiable on its own, and escalation names sets.
 */
function checkStages(
  policy: RawPolicy,
  t: RawTarget,
  at: (key: string) => Path,
  ctx: z.RefinementCtx,
  checkRefs: (refs: readonly string[], path: Path, allowEveryone: boolean) => void,
): void {
  if (t.escalation) checkRefs(t.escalation.to, [...at('escalation'), 'to'], false);
  if (!t.stages) return;
  if (t.approvers.length > 0) {
    issue(
      ctx,
      at('stages'),
      'is given together with approvers: list the approvers inside the stages instead',
    );
  }
  if (t.autoApprove) issue(ctx, at('stages'), 'is given on an autoApprove target, which nobody approves');
  t.stages.forEach((stage, s) => {
    const path: Path = [...at('stages'), s];
    checkRefs(stage.approvers, [...path, 'approvers'], false);
    const users = knownUsers(policy, stage.approvers);
    if (users !== undefined && users.size < stage.required) {
      issue(
        ctx,
        [...path, 'required'],
        `${stage.required} approvals are required but the stage's sets hold ${users.size} distinct ${users.size === 1 ? 'person' : 'people'}, so no request could ever pass it`,
      );
    }
  });
}

/** An on-call set must name something to ask, and escalation policies exist only in PagerDuty. */
function checkOnCallSources(policy: RawPolicy, ctx: z.RefinementCtx): void {
  for (const [name, set] of Object.entries(policy.people)) {
    const onCall = set.onCall;
    if (!onCall) continue;
    if (onCall.schedules.length + onCall.escalationPolicies.length === 0) {
      issue(ctx, ['people', name, 'onCall'], 'names no schedule or escalation policy');
    }
    if (onCall.provider !== 'pagerduty' && onCall.escalationPolicies.length > 0) {
      issue(ctx, ['people', name, 'onCall', 'escalationPolicies'], 'are a PagerDuty setting');
    }
  }
}

/**
 * Refuses an approval rule no request could ever satisfy. Approvals count distinct approvers
 * and never the requester unless selfApproval is on. Only what is known at load time counts:
 * Slack user groups are expanded at run time, so a rule whose sets hold a user group (or a
 * target open to everyone) is never refused for its size. The rule is refused when
 * - its approver sets hold fewer distinct users than approvalsRequired (nobody's request can
 *   be approved), or
 * - without selfApproval, every possible requester is one of the approvers and the others
 *   are too few (each requester's own approval is refused, so again no request can be).
 * A rule where only *some* requesters are stuck still loads: others' requests work.
 * Auto-approved targets need no approvals and are not checked.
 */
function checkApprovalsReachable(
  policy: RawPolicy,
  t: RawTarget,
  at: (key: string) => Path,
  ctx: z.RefinementCtx,
): void {
  if (t.autoApprove || t.stages) return;
  const approvers = knownUsers(policy, t.approvers);
  if (approvers === undefined) return;
  const required = t.approvalsRequired;
  if (approvers.size < required) {
    issue(
      ctx,
      at('approvalsRequired'),
      `${required} approvals are required but the approver sets hold ${approvers.size} distinct ${approvers.size === 1 ? 'person' : 'people'}, so no request could ever be approved`,
    );
    return;
  }
  if (t.selfApproval || approvers.size - 1 >= required) return;
  const requesters = knownUsers(policy, t.requesters);
  if (
    requesters !== undefined &&
    requesters.size > 0 &&
    [...requesters].every((user) => approvers.has(user))
  ) {
    issue(
      ctx,
      at('approvalsRequired'),
      `${required} approvals are required but every requester is one of the ${approvers.size} approvers and may not approve their own request (selfApproval is false), so no request could ever be approved`,
    );
  }
}

/**
 * The distinct people of the named sets, or undefined when that is not known at load time
 * (the keyword everyone, a user group, an IdP group or an email, whose people are only known
 * once resolved, or an undefined set reported elsewhere).
 */
function knownUsers(policy: RawPolicy, setNames: readonly string[]): Set<string> | undefined {
  const users = new Set<string>();
  for (const name of setNames) {
    const set = name === EVERYONE ? undefined : policy.people[name];
    if (
      set === undefined ||
      set.userGroups.length > 0 ||
      set.emails.length > 0 ||
      set.idpGroups.length > 0 ||
      set.onCall !== undefined
    )
      return undefined;
    set.users.forEach((user) => users.add(user));
  }
  return users;
}

/**
 * Why: an AWS identity is who acts in CloudTrail and whose group membership a grant changes;
 * two people mapped to one identity would share each other's access. IAM user names are
 * unique case-insensitively (and the reconciler compares them lower-cased), so is this check.
 * One person written twice (`U1` and `slack:U1`) is refused too: one of the two would be ignored.
 */
function checkIdentitiesDistinct(identities: Readonly<Record<string, string>>, ctx: z.RefinementCtx): void {
  const owners = new Map<string, string>();
  const persons = new Map<string, string>();
  for (const [userId, identity] of Object.entries(identities)) {
    const parsed = tryParsePerson(userId);
    if ('problem' in parsed) {
      issue(ctx, ['identities', userId], `the key ${parsed.problem}`);
    } else {
      const person = personKey(parsed.person);
      const written = persons.get(person);
      if (written !== undefined) issue(ctx, ['identities', userId], `is the same person as ${written}`);
      persons.set(person, userId);
    }
    const key = identity.toLowerCase();
    const owner = owners.get(key);
    if (owner === undefined) owners.set(key, userId);
    else
      issue(
        ctx,
        ['identities', userId],
        `"${identity}" is already the AWS identity of ${owner} (identities compare case-insensitively)`,
      );
  }
}

const policySchema = policyShape.superRefine(checkPolicy);

/** A named set of people; a person is in it when any of its lists names them. */
export interface PeopleSet {
  /** Persons in canonical form (see person.ts): Slack user ids, `oidc:…`, `cli:…`. */
  readonly users: readonly string[];
  /** Slack user group ids, matched against the groups of a Slack person. */
  readonly userGroups: readonly string[];
  /** Lower-cased emails, matched against the email the person's provider gives. */
  readonly emails: readonly string[];
  /** Identity-provider groups, matched against the groups of a person of another provider. */
  readonly idpGroups: readonly string[];
  /** Whoever is on call now in this schedule (resolved into ResolvedPerson.onCall). */
  readonly onCall?: OnCallSource;
}

/** The fields every target has, whatever its kind. */
export interface TargetCommon {
  readonly id: string;
  readonly description: string;
  /** Set names, or the keyword `everyone`. */
  readonly requesters: readonly string[];
  readonly approvers: readonly string[];
  readonly approvalsRequired: number;
  readonly selfApproval: boolean;
  readonly maxDurationSeconds: number;
  readonly defaultDurationSeconds: number;
  readonly requireReason: boolean;
  readonly requireTicket: boolean;
  readonly ticketPattern?: string;
  readonly autoApprove: boolean;
  /** Set names whose members' requests are auto-approved (absent: none). */
  readonly autoApproveFor?: readonly string[];
  /** The ticket check in Jira or ServiceNow (absent: the pattern alone). */
  readonly ticket?: TicketRule;
  readonly breakGlass: boolean;
  readonly approvalChannel?: string;
  readonly notifyChannel?: string;
  /** The grace extension the expiry warning offers (auto-approved within it); absent: none. */
  readonly graceExtension?: GraceExtensionRule;
  /**
   * Approval stages in order (absent: one stage of `approvers`, `approvalsRequired`). With
   * stages, `approvers` is every stage's sets and `approvalsRequired` their sum, so "an
   * approver of the target" (revoke, the waiting list) keeps meaning anyone who approves it.
   */
  readonly stages?: readonly ApprovalStage[];
  /** Who is told when the current stage has not decided within `afterSeconds`; absent: nobody. */
  readonly escalation?: EscalationRule;
}

/** One approval stage: `required` distinct approvals from people of `approvers` (set names). */
export interface ApprovalStage {
  /** How the stage is shown ("team leads"); absent: its set names. */
  readonly name?: string;
  readonly approvers: readonly string[];
  readonly required: number;
}

/** The backup approvers of a target, told once per stage that has not decided in time. */
export interface EscalationRule {
  readonly afterSeconds: number;
  readonly to: readonly string[];
}

/**
 * A grace extension budget: at most `maxSeconds` each time, only once per grant when `once`,
 * and never past the target's maxDuration from the start of the first grant it extends.
 */
export interface GraceExtensionRule {
  readonly once: boolean;
  readonly maxSeconds: number;
}

/**
 * A validated target: the common fields, its kind (a registered TargetKind) and the kind's
 * own fields (see the kind's folder under shared/targets/ for its type and guard).
 */
export interface Target extends TargetCommon {
  readonly kind: string;
}

export interface BreakGlassRules {
  readonly responders: readonly string[];
  readonly reviewers: readonly string[];
  readonly securityChannel: string;
  readonly maxDurationSeconds: number;
}

/** A validated, frozen access policy. */
export interface AccessPolicy {
  readonly version: 1;
  readonly people: Readonly<Record<string, PeopleSet>>;
  /** Explicit person (canonical form, see person.ts) → AWS identity overrides. */
  readonly identities: Readonly<Record<string, string>>;
  /** When set, a person's email must be in this domain to map to an AWS identity. */
  readonly identityEmailDomain?: string;
  readonly breakGlass?: BreakGlassRules;
  readonly approvalTimeoutSeconds: number;
  readonly renotifyAfterSeconds: number;
  /**
   * The security set: may revoke any live grant and end all of a person's grants at once.
   * Absent: the break-glass reviewers (see securitySets).
   */
  readonly security?: readonly string[];
  /** How long before its end a grant's holder is warned (default 10 minutes). */
  readonly warnBeforeSeconds: number;
  /** How far ahead a start may be scheduled (default 7 days). */
  readonly maxLeadTimeSeconds: number;
  /** Who request API callers are (see api-caller.ts); absent: every caller is their own `cli:` person. */
  readonly api?: ApiCallerRules;
  readonly targets: readonly Target[];
}

/** How the request API maps a SigV4 caller to a person (policy `api:`). */
export interface ApiCallerRules {
  /** Principal ARN → person in canonical form (`U0DEV00001`, `oidc:…`, `cli:…`). */
  readonly callers: Readonly<Record<string, string>>;
  /**
   * Roles whose session name is the person's email (Identity Center permission-set roles,
   * `AWSReservedSSO_…`, whose session name AWS sets to the user name, never the caller).
   */
  readonly emailSessionRoles: readonly string[];
}

function seconds(text: string): number {
  // Already validated by the schema.
  return tryParseDuration(text) as number;
}

function commonOf(t: RawTarget): TargetCommon {
  return {
    id: t.id,
    description: t.description,
    requesters: t.requesters,
    approvers: t.stages ? [...new Set(t.stages.flatMap((s) => s.approvers))] : t.approvers,
    approvalsRequired: t.stages ? t.stages.reduce((sum, s) => sum + s.required, 0) : t.approvalsRequired,
    selfApproval: t.selfApproval,
    maxDurationSeconds: seconds(t.maxDuration),
    defaultDurationSeconds: seconds(t.defaultDuration),
    requireReason: t.requireReason,
    requireTicket: t.requireTicket,
    ...(t.ticketPattern === undefined ? {} : { ticketPattern: t.ticketPattern }),
    autoApprove: t.autoApprove,
    ...(t.autoApproveFor === undefined ? {} : { autoApproveFor: t.autoApproveFor }),
    ...(t.ticket === undefined ? {} : { ticket: t.ticket }),
    breakGlass: t.breakGlass,
    ...(t.approvalChannel === undefined ? {} : { approvalChannel: t.approvalChannel }),
    ...(t.notifyChannel === undefined ? {} : { notifyChannel: t.notifyChannel }),
    ...(t.graceExtension === undefined
      ? {}
      : { graceExtension: { once: t.graceExtension.once, maxSeconds: seconds(t.graceExtension.max) } }),
    ...(t.stages === undefined
      ? {}
      : {
          stages: t.stages.map((s) => ({
            ...(s.name === undefined ? {} : { name: s.name }),
            approvers: s.approvers,
            required: s.required,
          })),
        }),
    ...(t.escalation === undefined
      ? {}
      : { escalation: { afterSeconds: seconds(t.escalation.after), to: t.escalation.to } }),
  };
}

/**
 * Each kind's policy fragment, built once: zod compiles a schema on its first use, and
 * building one per target made a 5,000-target policy spend most of its load compiling.
 */
const kindSchemas = new WeakMap<TargetKind, z.ZodObject>();
function schemaOf(kind: TargetKind): z.ZodObject {
  let schema = kindSchemas.get(kind);
  if (!schema) {
    schema = kind.schema(TARGET_SCHEMA_BASE);
    kindSchemas.set(kind, schema);
  }
  return schema;
}

/**
 * Checks each target against its kind's fragment and cross-checks. Returns the targets, or
 * adds `path: reason` problems to `issues` (a kind nobody registered is one).
 */
function kindTargets(document: unknown, kinds: readonly TargetKind[], issues: string[]): Target[] {
  const raw = (document as { targets?: unknown } | null)?.targets;
  if (!Array.isArray(raw)) return [];
  const byKind = new Map(kinds.map((k) => [k.kind, k]));
  const targets: Target[] = [];
  raw.forEach((item: unknown, i) => {
    const name = (item as { kind?: unknown } | null)?.kind;
    const kind = typeof name === 'string' ? byKind.get(name) : undefined;
    if (!kind) {
      const known = kinds.map((k) => JSON.stringify(k.kind)).join(' or ');
      issues.push(`${formatIssuePath(['targets', i, 'kind'])}: kind must be ${known}`);
      return;
    }
    const parsed = schemaOf(kind).safeParse(item);
    if (!parsed.success) {
      parsed.error.issues.forEach((issue) =>
        issues.push(`${formatIssuePath(['targets', i, ...issue.path])}: ${issue.message}`),
      );
      return;
    }
    const problems = kind.check?.(parsed.data) ?? [];
    problems.forEach((p) => issues.push(`${formatIssuePath(['targets', i, p.key])}: ${p.message}`));
    if (problems.length === 0) targets.push(kind.toTarget(parsed.data, commonOf(parsed.data as RawTarget)));
  });
  return targets;
}

/** Formats a zod path as `targets[2].maxDuration`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates an already-parsed policy document. Throws PolicyError listing every problem
 * as `path: reason`, e.g. `targets[2].maxDuration: "90x" is not a duration`.
 */
export function validatePolicy(
  document: unknown,
  source = '(inline)',
  kinds: readonly TargetKind[] = TARGET_KINDS,
): AccessPolicy {
  const result = policySchema.safeParse(document);
  const issues = result.success
    ? []
    : result.error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
  const targets = kindTargets(document, kinds, issues);
  // The base fields are checked by both schemas: each problem is listed once.
  if (!result.success || issues.length > 0) throw new PolicyError(source, [...new Set(issues)]);
  const raw = result.data;
  const policy: AccessPolicy = {
    version: 1,
    people: raw.people,
    identities: Object.fromEntries(
      Object.entries(raw.identities).map(([key, identity]) => [canonicalPersonKey(key) ?? key, identity]),
    ),
    ...(raw.identityEmailDomain === undefined ? {} : { identityEmailDomain: raw.identityEmailDomain }),
    ...(raw.breakGlass === undefined
      ? {}
      : {
          breakGlass: {
            responders: raw.breakGlass.responders,
            reviewers: raw.breakGlass.reviewers,
            securityChannel: raw.breakGlass.securityChannel,
            maxDurationSeconds: seconds(raw.breakGlass.maxDuration),
          },
        }),
    approvalTimeoutSeconds: seconds(raw.approvalTimeout),
    renotifyAfterSeconds: seconds(raw.renotifyAfter),
    ...(raw.security === undefined ? {} : { security: raw.security }),
    warnBeforeSeconds: seconds(raw.warnBefore),
    maxLeadTimeSeconds: seconds(raw.maxLeadTime),
    ...(raw.api === undefined
      ? {}
      : {
          api: {
            callers: raw.api.callers,
            emailSessionRoles: raw.api.emailSessionRoles,
          },
        }),
    targets,
  };
  return deepFreeze(policy);
}

export function findTarget(policy: AccessPolicy, targetId: string): Target | undefined {
  return policy.targets.find((t) => t.id === targetId);
}

/**
 * Whether `who` belongs to any of the named sets (or `everyone` is among them): as a fixed
 * member, or as on call now for an on-call set (resolved into `who.onCall` beforehand).
 */
export function isInSets(policy: AccessPolicy, setNames: readonly string[], who: ResolvedPerson): boolean {
  return setNames.some(
    (name) => name === EVERYONE || isFixedMember(policy, name, who) || who.onCall?.[name] !== undefined,
  );
}

/** Whether the set `name` names `who` by id, group or email (not by being on call). */
export function isFixedMember(policy: AccessPolicy, name: string, who: ResolvedPerson): boolean {
  const set = policy.people[name];
  if (!set) return false;
  const email = who.email?.trim().toLowerCase();
  // Slack user groups and IdP groups are different namespaces: a group only counts in its own.
  const groups = who.person.provider === 'slack' ? set.userGroups : set.idpGroups;
  return (
    set.users.includes(personKey(who.person)) ||
    groups.some((g) => who.groups.includes(g)) ||
    (email !== undefined && email !== '' && set.emails.includes(email))
  );
}

/** Expands named sets into their people, emails and groups (for routing notifications). */
export function expandSets(policy: AccessPolicy, setNames: readonly string[]): PeopleSet {
  const users = new Set<string>();
  const userGroups = new Set<string>();
  const emails = new Set<string>();
  const idpGroups = new Set<string>();
  for (const name of setNames) {
    const set = policy.people[name];
    set?.users.forEach((u) => users.add(u));
    set?.userGroups.forEach((g) => userGroups.add(g));
    set?.emails.forEach((e) => emails.add(e));
    set?.idpGroups.forEach((g) => idpGroups.add(g));
  }
  return { users: [...users], userGroups: [...userGroups], emails: [...emails], idpGroups: [...idpGroups] };
}

/** Targets this person may request, for the request modal. */
export function requestableTargets(policy: AccessPolicy, who: ResolvedPerson): Target[] {
  return policy.targets.filter((t) => isInSets(policy, t.requesters, who));
}

/** Whether this person is a break-glass responder. */
export function isResponder(policy: AccessPolicy, who: ResolvedPerson): boolean {
  return policy.breakGlass !== undefined && isInSets(policy, policy.breakGlass.responders, who);
}

/** The set names of the security set: `security:` when given, else the break-glass reviewers. */
export function securitySets(policy: AccessPolicy): readonly string[] {
  return policy.security ?? policy.breakGlass?.reviewers ?? [];
}
