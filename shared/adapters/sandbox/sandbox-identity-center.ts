import { createHash } from 'node:crypto';
import type { AwsReceipt, GroupMembership } from '../../domain/grant-ports.js';
import type { IdentityCenterUserLookup } from '../aws/identity-center-users.js';
import { IdentityCenterUserNotFoundError } from '../aws/identity-center-users.js';
import type { PermissionSetAdapters } from '../../targets/permission-set/driver.js';
import { instanceIdOf, PERMISSION_SET_ARN } from '../../targets/permission-set/kind.js';
import type {
  Assignment,
  IdentityCenterAdmin,
  IdentityCenterUsers,
  OperationState,
  OrganizationAccounts,
  OrgAccount,
} from '../../targets/permission-set/ports.js';
import type {
  IdentityCenterGroupMembership,
  StoreGroupRef,
} from '../../targets/identity-center-group/identity-store-membership.js';
import type { MemberAccountGroups } from '../../targets/group/member-account-groups.js';

/** What the Identity Center sandbox records (SandboxAws turns it into a history entry). */
export type IdentityCenterAction =
  | 'CreateAccountAssignment'
  | 'DeleteAccountAssignment'
  | 'PutInlinePolicyToPermissionSet'
  | 'ProvisionPermissionSet'
  | 'CreateGroupMembership'
  | 'DeleteGroupMembership'
  | 'AddUserToGroup'
  | 'RemoveUserFromGroup';

/** Records one action and answers its receipt (the sandbox's request id). */
export type RecordAction = (
  action: IdentityCenterAction,
  detail: Readonly<Record<string, string | number | boolean>>,
) => AwsReceipt;

/** The sandbox Organization: accounts by id and name, and the OUs holding them. */
export interface SandboxOrganization {
  readonly accounts: readonly OrgAccount[];
  /** OU id → the ids of the accounts directly under it. */
  readonly ous: Readonly<Record<string, readonly string[]>>;
  /** OU id → its child OUs. */
  readonly childOus?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The Organization the sandbox answers with: the broker's own account and two workload
 * accounts (the example policy's permission-set target grants in those two), under one OU.
 */
export const SANDBOX_ORGANIZATION: SandboxOrganization = {
  accounts: [
    { id: '111122223333', name: 'broker' },
    { id: '444455556666', name: 'shop-staging' },
    { id: '777788889999', name: 'shop-production' },
  ],
  ous: { 'ou-jit0-workloads': ['444455556666', '777788889999'] },
};

/** An assignment's (or provisioning's) life in the sandbox: started, then landed on the next read. */
type Phase = 'creating' | 'assigned' | 'deleting';

/** A row of the sandbox's Identity Center state, for the /sandbox page and the demo. */
export interface SandboxAssignment {
  readonly accountId: string;
  readonly accountName: string;
  readonly permissionSetArn: string;
  readonly permissionSetName: string;
  readonly userId: string;
  readonly userName: string;
  readonly status: 'IN_PROGRESS' | 'SUCCEEDED';
  readonly operation: 'create' | 'delete';
}

/** What the Identity Center sandbox holds now. */
export interface IdentityCenterState {
  readonly assignments: readonly SandboxAssignment[];
  /** Permission set ARN → its inline policy (JSON text). */
  readonly inlinePolicies: Readonly<Record<string, string>>;
  /** Group (display name or id) → Identity Center user ids in it. */
  readonly identityCenterGroups: Readonly<Record<string, readonly string[]>>;
  /** `account/groupName` → IAM user names in that member account's group. */
  readonly memberAccountGroups: Readonly<Record<string, readonly string[]>>;
}

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A stable identity-store-like id for `seed` (`0123456789-01234567-89ab-cdef-0123-456789abcdef`). */
function storeId(seed: string): string {
  const h = hex(seed, 42);
  return `${h.slice(0, 10)}-${h.slice(10, 18)}-${h.slice(18, 22)}-${h.slice(22, 26)}-${h.slice(26, 30)}-${h.slice(30, 42)}`;
}

/**
 * The local runner's stand-in for IAM Identity Center (sso-admin), the identity store and
 * Organizations. Like AWS, account assignments and provisioning are asynchronous: an operation
 * answers IN_PROGRESS when started and SUCCEEDED on the next call for it (the worker's or the
 * sweeper's retry), so the local broker walks the same paths as in AWS. Every permission set
 * named in an instance exists (one-hour sessions); everyone with an email is an Identity Center
 * user (a stable id from the email); accounts and OUs come from {@link SandboxOrganization}.
 */
export class SandboxIdentityCenter {
  private readonly assignments = new Map<string, { readonly assignment: Assignment; phase: Phase }>();
  private readonly provisioning = new Set<string>();
  private readonly provisioned = new Set<string>();
  private readonly policies = new Map<string, string>();
  private readonly storeGroups = new Map<string, Set<string>>();
  private readonly accountGroups = new Map<string, Set<string>>();
  private readonly userNames = new Map<string, string>();
  private readonly setNames = new Map<string, string>();

  constructor(
    private readonly record: RecordAction,
    private readonly org: SandboxOrganization = SANDBOX_ORGANIZATION,
  ) {}

  private setArnOf(instanceArn: string, arnOrName: string): { arn: string; name: string } | undefined {
    if (PERMISSION_SET_ARN.test(arnOrName)) {
      return { arn: arnOrName, name: this.setNames.get(arnOrName) ?? arnOrName.split('/').pop()! };
    }
    const instance = instanceIdOf(instanceArn);
    if (instance === undefined) return undefined;
    const arn = `arn:aws:sso:::permissionSet/${instance}/ps-${hex(`${instanceArn} ${arnOrName}`, 16)}`;
    this.setNames.set(arn, arnOrName);
    return { arn, name: arnOrName };
  }

  private nameOfAccount(id: string): string | undefined {
    return this.org.accounts.find((a) => a.id === id)?.name;
  }

  private detailOf(a: Assignment) {
    return {
      account: a.accountId,
      permissionSet: this.setNames.get(a.permissionSetArn) ?? a.permissionSetArn,
      user: this.userNames.get(a.userId) ?? a.userId,
    };
  }

  private operation(
    action: IdentityCenterAction,
    detail: Readonly<Record<string, string | number | boolean>>,
    status: OperationState['status'],
  ): OperationState {
    const receipt = this.record(action, { ...detail, status });
    const requestId = `sandbox-op-${hex(`${receipt.awsRequestId ?? ''}`, 12)}`;
    return { ...receipt, requestId, status };
  }

  readonly identityCenter: IdentityCenterAdmin = {
    createAssignment: async (assignment) => {
      const key = assignmentKey(assignment);
      const known = this.assignments.get(key);
      // Started now: IN_PROGRESS; asked again: the earlier operation has landed.
      if (known === undefined || known.phase === 'deleting') {
        this.assignments.set(key, { assignment, phase: 'creating' });
        return this.operation('CreateAccountAssignment', this.detailOf(assignment), 'IN_PROGRESS');
      }
      known.phase = 'assigned';
      this.provisioned.add(`${assignment.permissionSetArn} ${assignment.accountId}`);
      return this.operation('CreateAccountAssignment', this.detailOf(assignment), 'SUCCEEDED');
    },
    deleteAssignment: async (assignment) => {
      const key = assignmentKey(assignment);
      const known = this.assignments.get(key);
      if (known === undefined) return { gone: true };
      if (known.phase !== 'deleting') {
        known.phase = 'deleting';
        return this.operation('DeleteAccountAssignment', this.detailOf(assignment), 'IN_PROGRESS');
      }
      this.assignments.delete(key);
      return this.operation('DeleteAccountAssignment', this.detailOf(assignment), 'SUCCEEDED');
    },
    permissionSet: async (instanceArn, arnOrName) => {
      const set = this.setArnOf(instanceArn, arnOrName);
      return set && { ...set, sessionDurationSeconds: 3_600 };
    },
    inlinePolicy: async (_instanceArn, permissionSetArn) => this.policies.get(permissionSetArn),
    putInlinePolicy: async (_instanceArn, permissionSetArn, document) => {
      if (document === undefined) this.policies.delete(permissionSetArn);
      else this.policies.set(permissionSetArn, document);
      const statements = document === undefined ? 0 : (JSON.parse(document) as { Statement: [] }).Statement;
      return this.record('PutInlinePolicyToPermissionSet', {
        permissionSet: this.setNames.get(permissionSetArn) ?? permissionSetArn,
        statements: Array.isArray(statements) ? statements.length : 0,
      });
    },
    provision: async (_instanceArn, permissionSetArn, accountId) => {
      const key = `${permissionSetArn} ${accountId}`;
      if (!this.provisioned.has(key)) return { notProvisioned: true };
      const detail = {
        permissionSet: this.setNames.get(permissionSetArn) ?? permissionSetArn,
        account: accountId,
      };
      if (!this.provisioning.has(key)) {
        this.provisioning.add(key);
        return this.operation('ProvisionPermissionSet', detail, 'IN_PROGRESS');
      }
      this.provisioning.delete(key);
      return this.operation('ProvisionPermissionSet', detail, 'SUCCEEDED');
    },
  };

  /** Everyone with an email is a user of every identity store (a stable id from the email). */
  readonly users: IdentityCenterUsers = {
    userIdOf: async (identityStoreId, name) => {
      if (!name.includes('@')) return undefined;
      const userId = storeId(`${identityStoreId} ${name.toLowerCase()}`);
      this.userNames.set(userId, name.toLowerCase());
      return userId;
    },
  };

  /** The same users for the identity-center-group kind (overrides first, as in AWS). */
  readonly userLookup: IdentityCenterUserLookup = {
    userIdOf: async (identityStoreId, principal, overrides = {}) => {
      const email = principal.trim().toLowerCase();
      const override = overrides[email];
      if (override !== undefined) return override;
      const userId = await this.users.userIdOf(identityStoreId, email);
      if (userId === undefined) throw new IdentityCenterUserNotFoundError(identityStoreId, email);
      return userId;
    },
  };

  readonly organization: OrganizationAccounts = {
    accountsUnder: async (ou, nested) => {
      const found: OrgAccount[] = [];
      const queue = [ou];
      while (queue.length > 0) {
        const parent = queue.shift()!;
        for (const id of this.org.ous[parent] ?? []) found.push({ id, name: this.nameOfAccount(id) ?? id });
        if (nested) queue.push(...(this.org.childOus?.[parent] ?? []));
      }
      return found;
    },
    nameOf: async (id) => this.nameOfAccount(id),
  };

  readonly identityCenterGroups: IdentityCenterGroupMembership = {
    add: async (group, userId) => {
      const name = groupKey(group);
      const members = this.storeGroups.get(name) ?? new Set<string>();
      members.add(userId);
      this.storeGroups.set(name, members);
      const user = this.userNames.get(userId) ?? userId;
      return {
        ...this.record('CreateGroupMembership', { group: name, user }),
        membershipId: storeId(`${name} ${userId}`),
      };
    },
    remove: async (group, userId) => {
      const name = groupKey(group);
      const wasMember = this.storeGroups.get(name)?.delete(userId) ?? false;
      const user = this.userNames.get(userId) ?? userId;
      return { ...this.record('DeleteGroupMembership', { group: name, user, wasMember }), wasMember };
    },
    listMembers: async (group) => [...(this.storeGroups.get(groupKey(group)) ?? [])],
  };

  /** IAM groups of member accounts (as if through their agent role). */
  readonly memberAccountGroups: MemberAccountGroups = (account) => {
    const membership: GroupMembership = {
      add: async (groupName, userName) => {
        const key = `${account}/${groupName}`;
        const members = this.accountGroups.get(key) ?? new Set<string>();
        members.add(userName);
        this.accountGroups.set(key, members);
        return this.record('AddUserToGroup', { account, groupName, userName });
      },
      remove: async (groupName, userName) => {
        const wasMember = this.accountGroups.get(`${account}/${groupName}`)?.delete(userName) ?? false;
        return {
          ...this.record('RemoveUserFromGroup', { account, groupName, userName, wasMember }),
          wasMember,
        };
      },
      listMembers: async (groupName) => [...(this.accountGroups.get(`${account}/${groupName}`) ?? [])],
    };
    return membership;
  };

  /** The adapters of the permission-set kind over this sandbox. */
  permissionSetAdapters(): PermissionSetAdapters {
    return { identityCenter: this.identityCenter, users: this.users, organization: this.organization };
  }

  state(): IdentityCenterState {
    const sorted = (map: Map<string, Set<string>>) =>
      Object.fromEntries([...map].map(([k, members]) => [k, [...members].sort()]));
    return {
      assignments: [...this.assignments.values()].map(({ assignment: a, phase }) => ({
        accountId: a.accountId,
        accountName: this.nameOfAccount(a.accountId) ?? a.accountId,
        permissionSetArn: a.permissionSetArn,
        permissionSetName: this.setNames.get(a.permissionSetArn) ?? a.permissionSetArn,
        userId: a.userId,
        userName: this.userNames.get(a.userId) ?? a.userId,
        status: phase === 'assigned' ? 'SUCCEEDED' : 'IN_PROGRESS',
        operation: phase === 'deleting' ? 'delete' : 'create',
      })),
      inlinePolicies: Object.fromEntries(this.policies),
      identityCenterGroups: sorted(this.storeGroups),
      memberAccountGroups: sorted(this.accountGroups),
    };
  }
}

function assignmentKey(a: Assignment): string {
  return `${a.instanceArn} ${a.permissionSetArn} ${a.accountId} ${a.userId}`;
}

function groupKey(group: StoreGroupRef): string {
  return group.groupDisplayName ?? group.groupId ?? '';
}
