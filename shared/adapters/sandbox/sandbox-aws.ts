import { createHash, randomBytes } from 'node:crypto';
import type {
  AwsReceipt,
  ConsoleLinkMaker,
  GroupMembership,
  RoleDenyList,
  SessionCredentials,
  SessionRequest,
  SessionVendor,
} from '../../domain/grant-ports.js';
import type { Clock } from '../../domain/ports.js';
import type { TargetDrivers } from '../../domain/target-kind.js';
import { createTargetDrivers } from '../../targets/drivers.js';
import {
  SandboxIdentityCenter,
  type IdentityCenterAction,
  type IdentityCenterState,
} from './sandbox-identity-center.js';

/** One thing the sandbox did instead of calling AWS. */
export interface SandboxRecord {
  readonly at: string;
  readonly action:
    | 'AddUserToGroup'
    | 'RemoveUserFromGroup'
    | 'AssumeRole'
    | 'DenySessionsIssuedBefore'
    | 'PruneDenyList'
    | IdentityCenterAction;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
  readonly awsRequestId: string;
}

/** What the sandbox holds now: group members, live sessions, deny-list entries. */
export interface SandboxState {
  readonly groups: Readonly<Record<string, readonly string[]>>;
  readonly sessions: readonly {
    readonly roleArn: string;
    readonly sourceIdentity: string;
    readonly roleSessionName: string;
    readonly issuedAt: string;
    readonly expiresAt: string;
  }[];
  readonly denied: readonly {
    readonly roleArn: string;
    readonly principal: string;
    readonly before: string;
  }[];
  readonly history: readonly SandboxRecord[];
  /** Identity Center (assignments, inline policies, groups) and member-account IAM groups. */
  readonly identityCenter: IdentityCenterState;
}

/**
 * The local runner's stand-in for IAM and STS: it records group memberships and role
 * sessions in memory, exactly where the real adapters would call AWS, so a newcomer sees
 * the whole flow with no AWS account. It is never wired in a Lambda function. Credentials
 * it mints are random and marked as sandbox values: they open nothing.
 */
export class SandboxAws {
  private readonly groups = new Map<string, Set<string>>();
  private readonly sessions: SandboxState['sessions'][number][] = [];
  private readonly denied = new Map<string, { roleArn: string; principal: string; before: string }>();
  private readonly history: SandboxRecord[] = [];
  private counter = 0;
  /** IAM Identity Center, the identity store, Organizations and member-account groups. */
  readonly identityCenter = new SandboxIdentityCenter((action, detail) => this.record(action, detail));

  constructor(
    private readonly clock: Clock,
    private readonly onRecord: (record: SandboxRecord) => void = () => undefined,
  ) {}

  private record(action: SandboxRecord['action'], detail: SandboxRecord['detail']): AwsReceipt {
    this.counter++;
    const awsRequestId = `sandbox-${String(this.counter).padStart(6, '0')}`;
    const entry: SandboxRecord = { at: this.clock.now().toISOString(), action, detail, awsRequestId };
    this.history.push(entry);
    this.onRecord(entry);
    return { awsRequestId };
  }

  readonly groupMembership: GroupMembership = {
    add: async (groupName, userName) => {
      const members = this.groups.get(groupName) ?? new Set<string>();
      members.add(userName);
      this.groups.set(groupName, members);
      return this.record('AddUserToGroup', { groupName, userName });
    },
    remove: async (groupName, userName) => {
      const wasMember = this.groups.get(groupName)?.delete(userName) ?? false;
      return { ...this.record('RemoveUserFromGroup', { groupName, userName, wasMember }), wasMember };
    },
    listMembers: async (groupName) => [...(this.groups.get(groupName) ?? [])],
  };

  readonly sessionVendor: SessionVendor = {
    assumeRole: async (request: SessionRequest) => {
      const now = this.clock.now();
      const expiration = new Date(now.getTime() + request.durationSeconds * 1000);
      this.sessions.push({
        roleArn: request.roleArn,
        sourceIdentity: request.sourceIdentity,
        roleSessionName: request.roleSessionName,
        issuedAt: now.toISOString(),
        expiresAt: expiration.toISOString(),
      });
      const receipt = this.record('AssumeRole', {
        roleArn: request.roleArn,
        roleSessionName: request.roleSessionName,
        sourceIdentity: request.sourceIdentity,
        durationSeconds: request.durationSeconds,
      });
      const credentials: SessionCredentials = {
        accessKeyId: `ASIASANDBOX${randomBytes(5).toString('hex').toUpperCase()}`,
        secretAccessKey: `sandbox-${randomBytes(16).toString('hex')}`,
        sessionToken: `sandbox-${randomBytes(24).toString('base64url')}`,
        expiration,
      };
      return { ...receipt, credentials };
    },
  };

  readonly denyList: RoleDenyList = {
    denySessionsIssuedBefore: async ({ roleArn, principal, before }) => {
      this.denied.set(`${roleArn}#${principal}`, { roleArn, principal, before: before.toISOString() });
      return this.record('DenySessionsIssuedBefore', { roleArn, principal, before: before.toISOString() });
    },
    prune: async ({ roleArn, now, maxSessionSeconds }) => {
      let removed = 0;
      for (const [key, entry] of this.denied) {
        if (
          entry.roleArn === roleArn &&
          Date.parse(entry.before) + maxSessionSeconds * 1000 < now.getTime()
        ) {
          this.denied.delete(key);
          removed++;
        }
      }
      if (removed > 0) this.record('PruneDenyList', { roleArn, removed });
      return { removed };
    },
  };

  /** A console link that says what it would open; the real one goes through the federation endpoint. */
  readonly consoleLinks: ConsoleLinkMaker = {
    signInUrl: async (credentials) => {
      const fingerprint = createHash('sha256').update(credentials.sessionToken).digest('hex').slice(0, 12);
      return `https://signin.aws.amazon.com/federation?Action=login&Issuer=jit-broker-sandbox&SigninToken=sandbox-${fingerprint}`;
    },
  };

  /** The registered kinds' drivers over this sandbox instead of AWS (shared/targets/drivers.ts). */
  targetDrivers(): TargetDrivers {
    return createTargetDrivers({
      groups: this.groupMembership,
      sessions: this.sessionVendor,
      denyList: this.denyList,
      permissionSets: this.identityCenter.permissionSetAdapters(),
      memberAccountGroups: this.identityCenter.memberAccountGroups,
      identityCenterGroups: this.identityCenter.identityCenterGroups,
      identityCenterUsers: this.identityCenter.userLookup,
    });
  }

  /** Everything the sandbox holds, for the local runner's /sandbox page and the demo. */
  state(): SandboxState {
    return {
      groups: Object.fromEntries([...this.groups].map(([g, members]) => [g, [...members].sort()])),
      sessions: [...this.sessions],
      denied: [...this.denied.values()],
      history: [...this.history],
      identityCenter: this.identityCenter.state(),
    };
  }
}
