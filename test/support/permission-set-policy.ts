import { type AccessPolicy } from '../../shared/domain/policy.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';

/**
 * The one permission-set policy of the tests: requester UDEV1 (set `devs`), approver ULEAD1
 * (set `leads`), the permission-set target `shop-admin` granted per account, and the group
 * target `dev-group` (not granted per account). Each test names only what it varies.
 */
export interface PermissionSetPolicyOptions {
  /** The accounts `shop-admin` may be granted in (default: PROD and STAGING). */
  readonly accounts?: readonly string[];
  /** Its OUs, whose active accounts it also reaches (default: none). */
  readonly ous?: readonly string[];
  /** Its permission set, by name or ARN (default: AdministratorAccess, by name). */
  readonly permissionSet?: string;
  /** Its requester sets (default: `devs`; `everyone` lets console persons request). */
  readonly requesters?: readonly string[];
}

/** The accounts of the sandbox organization the fixture names (shared/adapters/sandbox). */
export const PROD_ACCOUNT = '111122223333';
export const STAGING_ACCOUNT = '444455556666';

/** The permission-set target's id in the fixture. */
export const PERMISSION_SET_TARGET = 'shop-admin';

/** The policy file text (YAML), for tests that load it through a file or a world. */
export function permissionSetPolicyYaml(options: PermissionSetPolicyOptions = {}): string {
  const accounts = options.accounts ?? [PROD_ACCOUNT, STAGING_ACCOUNT];
  const list = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(', ')}]`;
  return `
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1] }
identityEmailDomain: example.com
targets:
  - id: ${PERMISSION_SET_TARGET}
    kind: permission-set
    instanceArn: arn:aws:sso:::instance/ssoins-1111222233334444
    identityStoreId: d-1234567890
    permissionSet: ${options.permissionSet ?? 'AdministratorAccess'}
    accounts: ${list(accounts)}
${options.ous ? `    ous: ${list(options.ous)}\n` : ''}    description: Shop administrator
    requesters: [${(options.requesters ?? ['devs']).join(', ')}]
    approvers: [leads]
    approvalChannel: CAPPROVE1
    defaultDuration: 1h
    maxDuration: 4h
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h, approvalChannel: CAPPROVE1 }
`;
}

/** The fixture parsed, as a policy source would give it. */
export function permissionSetPolicy(
  options: PermissionSetPolicyOptions = {},
  name = 'permission-set-policy',
): AccessPolicy {
  return parsePolicy(permissionSetPolicyYaml(options), name);
}
