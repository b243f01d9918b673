import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { tryParseDuration } from './duration.js';
import { TARGET_KINDS } from '../targets/kinds.js';
import { PolicyError } from './errors.js';
import type { TargetKind, TargetSchemaBase } from './target-kind.js';

/**
 * The access policy as code: targets and rules, validated once at start-up.
 * A target is of a registered kind (shared/targets/: a role's time-boxed STS session, a
 * group's temporary IAM membership...); each kind brings its own policy fragment.
 * People are referenced through named sets (`people:`) of Slack user ids and Slack user
 * group ids, so a rule reads as "leads approve", not as a list of opaque ids.
 */

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const SLACK_USERGROUP_ID = /^S[A-Z0-9]{2,}$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const SET_NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** Usable as an STS SourceIdentity and an IAM user name (policy overrides and mapped emails alike). */
export const AWS_IDENTITY = /^[\w+=,.@-]{2,64}$/;

/** The requesters keyword that opens a target to every Slack user of the workspace. */
export const EVERYONE = 'everyone';

const duration = z.string().refine((v) => tryParseDuration(v) !== undefined, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a duration (try 15m, 1h or 1h30m)`,
});

const peopleSet = z.strictObject({
  users: z.array(z.string().regex(SLACK_USER_ID, 'is not a Slack user id (U…)')).default([]),
  userGroups: z.array(z.string().regex(SLACK_USERGROUP_ID, 'is not a Slack user group id (S…)')).default([]),
});

const targetBase = {
  id: z.string().regex(SET_NAME, 'must be lower-case letters, digits and dashes'),
  description: z.string().min(1).max(300),
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
    .refine((v) => {
      try {
        new RegExp(v);
        return true;
      } catch {
        return false;
      }
    }, 'is not a valid regular expression')
    .optional(),
  autoApprove: z.boolean().default(false),
  breakGlass: z.boolean().default(false),
  approvalChannel: z.string().regex(SLACK_CHANNEL_ID, 'is not a Slack channel id (C…)').optional(),
  notifyChannel: z.string().regex(SLACK_CHANNEL_ID, 'is not a Slack channel id (C…)').optional(),
};

/**
 * What the policy-wide schema checks of each target: the shared base and the kind's name.
 * The rest of a target (its own fields, unknown keys) is its kind's fragment, checked in
 * validatePolicy against the kinds given (see shared/domain/target-kind.ts).
 */
const target = z.looseObject({ ...targetBase, kind: z.string() });

/** The shared building blocks every kind's fragment extends. */
const TARGET_SCHEMA_BASE: TargetSchemaBase = { fields: targetBase, duration };

const policySchema = z
  .strictObject({
    version: z.literal(1),
    people: z.record(
      z.string().regex(SET_NAME, 'set names are lower-case letters, digits and dashes'),
      peopleSet,
    ),
    identities: z
      .record(
        z.string().regex(SLACK_USER_ID, 'keys are Slack user ids (U…)'),
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
    targets: z.array(target).min(1),
  })
  .superRefine((policy, ctx) => {
    const sets = new Set(Object.keys(policy.people));
    const checkRefs = (refs: readonly string[], path: (string | number)[], allowEveryone: boolean) => {
      refs.forEach((ref, i) => {
        if (allowEveryone && ref === EVERYONE) return;
        if (!sets.has(ref)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, i],
            message: `"${ref}" is not a set defined under people`,
          });
        }
      });
    };
    const ids = new Set<string>();
    policy.targets.forEach((t, i) => {
      const at = (key: string) => ['targets', i, key];
      if (ids.has(t.id)) ctx.addIssue({ code: 'custom', path: at('id'), message: `"${t.id}" is used twice` });
      ids.add(t.id);
      checkRefs(t.requesters, at('requesters'), true);
      checkRefs(t.approvers, at('approvers'), false);
      const max = tryParseDuration(t.maxDuration) ?? 0;
      const def = tryParseDuration(t.defaultDuration) ?? 0;
      if (def > max) {
        ctx.addIssue({
          code: 'custom',
          path: at('defaultDuration'),
          message: `"${t.defaultDuration}" is longer than maxDuration "${t.maxDuration}"`,
        });
      }
      if (!t.autoApprove && t.approvers.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: at('approvers'),
          message: 'a target without autoApprove needs at least one approver set',
        });
      }
      if (t.ticketPattern && !t.requireTicket) {
        ctx.addIssue({
          code: 'custom',
          path: at('ticketPattern'),
          message: 'is set but requireTicket is false',
        });
      }
      if (t.breakGlass && !policy.breakGlass) {
        ctx.addIssue({
          code: 'custom',
          path: at('breakGlass'),
          message:
            'is true but the policy has no breakGlass section (responders, reviewers, securityChannel)',
        });
      }
    });
    const renotify = tryParseDuration(policy.renotifyAfter);
    const timeout = tryParseDuration(policy.approvalTimeout);
    if (renotify !== undefined && timeout !== undefined && renotify >= timeout) {
      ctx.addIssue({
        code: 'custom',
        path: ['renotifyAfter'],
        message: `"${policy.renotifyAfter}" is not shorter than approvalTimeout "${policy.approvalTimeout}" (the reminder could never be sent)`,
      });
    }
    if (policy.breakGlass) {
      checkRefs(policy.breakGlass.responders, ['breakGlass', 'responders'], false);
      checkRefs(policy.breakGlass.reviewers, ['breakGlass', 'reviewers'], false);
    }
  });

type RawPolicy = z.infer<typeof policySchema>;
type RawTarget = RawPolicy['targets'][number];

export interface PeopleSet {
  readonly users: readonly string[];
  readonly userGroups: readonly string[];
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
  readonly breakGlass: boolean;
  readonly approvalChannel?: string;
  readonly notifyChannel?: string;
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
  /** Explicit Slack user id → AWS identity overrides. */
  readonly identities: Readonly<Record<string, string>>;
  /** When set, a Slack email must be in this domain to map to an AWS identity. */
  readonly identityEmailDomain?: string;
  readonly breakGlass?: BreakGlassRules;
  readonly approvalTimeoutSeconds: number;
  readonly renotifyAfterSeconds: number;
  readonly targets: readonly Target[];
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
    approvers: t.approvers,
    approvalsRequired: t.approvalsRequired,
    selfApproval: t.selfApproval,
    maxDurationSeconds: seconds(t.maxDuration),
    defaultDurationSeconds: seconds(t.defaultDuration),
    requireReason: t.requireReason,
    requireTicket: t.requireTicket,
    ...(t.ticketPattern === undefined ? {} : { ticketPattern: t.ticketPattern }),
    autoApprove: t.autoApprove,
    breakGlass: t.breakGlass,
    ...(t.approvalChannel === undefined ? {} : { approvalChannel: t.approvalChannel }),
    ...(t.notifyChannel === undefined ? {} : { notifyChannel: t.notifyChannel }),
  };
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
    const parsed = kind.schema(TARGET_SCHEMA_BASE).safeParse(item);
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
    identities: raw.identities,
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
    targets,
  };
  return deepFreeze(policy);
}

/**
 * Parses policy text (YAML, which includes JSON) and validates it against `kinds` (by default
 * every registered target kind; a test may pass its own).
 */
export function parsePolicy(
  text: string,
  source = '(inline)',
  kinds: readonly TargetKind[] = TARGET_KINDS,
): AccessPolicy {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message : String(error);
    throw new PolicyError(source, [`(root): not valid YAML or JSON: ${detail}`]);
  }
  return validatePolicy(document, source, kinds);
}

export function findTarget(policy: AccessPolicy, targetId: string): Target | undefined {
  return policy.targets.find((t) => t.id === targetId);
}

/** Who someone is in Slack: their user id and the Slack user groups they belong to. */
export interface SlackPerson {
  readonly userId: string;
  readonly userGroups: readonly string[];
}

/** Whether `person` belongs to any of the named sets (or `everyone` is among them). */
export function isInSets(policy: AccessPolicy, setNames: readonly string[], person: SlackPerson): boolean {
  return setNames.some((name) => {
    if (name === EVERYONE) return true;
    const set = policy.people[name];
    if (!set) return false;
    return set.users.includes(person.userId) || set.userGroups.some((g) => person.userGroups.includes(g));
  });
}

/** Expands named sets into their Slack user ids and user group ids (for routing notifications). */
export function expandSets(policy: AccessPolicy, setNames: readonly string[]): PeopleSet {
  const users = new Set<string>();
  const userGroups = new Set<string>();
  for (const name of setNames) {
    const set = policy.people[name];
    set?.users.forEach((u) => users.add(u));
    set?.userGroups.forEach((g) => userGroups.add(g));
  }
  return { users: [...users], userGroups: [...userGroups] };
}

/** Targets this person may request, for the request modal. */
export function requestableTargets(policy: AccessPolicy, person: SlackPerson): Target[] {
  return policy.targets.filter((t) => isInSets(policy, t.requesters, person));
}

/** Whether this person is a break-glass responder. */
export function isResponder(policy: AccessPolicy, person: SlackPerson): boolean {
  return policy.breakGlass !== undefined && isInSets(policy, policy.breakGlass.responders, person);
}
