import type { AwsReceipt } from '../../domain/grant-ports.js';

/**
 * Ports of the permission-set kind: Identity Center account assignments (sso-admin), the
 * identity store's users and the Organization's accounts. Adapters beside this file implement
 * them with the AWS SDK; tests use aws-sdk-client-mock or the JSON stand-in.
 */

/** One account assignment: a permission set given to an Identity Center user in an account. */
export interface Assignment {
  readonly instanceArn: string;
  readonly permissionSetArn: string;
  readonly accountId: string;
  /** The Identity Center user id (PrincipalType USER). */
  readonly userId: string;
}

/** Where an asynchronous Identity Center operation stands. */
export type OperationStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

/** An asynchronous operation as last seen (its request id, status and why it failed). */
export interface OperationState extends AwsReceipt {
  readonly requestId: string;
  readonly status: OperationStatus;
  readonly failureReason?: string;
}

/** A permission set as the broker needs it. */
export interface PermissionSetInfo {
  readonly arn: string;
  readonly name: string;
  /** Its session duration (how long a portal session it issues may live), in seconds. */
  readonly sessionDurationSeconds: number;
}

/**
 * IAM Identity Center administration (sso-admin). Every change is idempotent as AWS makes it:
 * creating an assignment that exists succeeds, deleting one that is gone answers `gone`.
 */
export interface IdentityCenterAdmin {
  /** Starts CreateAccountAssignment (PrincipalType USER) and reads its status once. */
  createAssignment(assignment: Assignment): Promise<OperationState>;
  /** Starts DeleteAccountAssignment and reads its status once; `gone` when there was none. */
  deleteAssignment(assignment: Assignment): Promise<OperationState | { readonly gone: true }>;
  /** The permission set named by ARN or name in the instance, or undefined when none is. */
  permissionSet(instanceArn: string, arnOrName: string): Promise<PermissionSetInfo | undefined>;
  /** The set's inline policy (JSON text), or undefined when it has none. */
  inlinePolicy(instanceArn: string, permissionSetArn: string): Promise<string | undefined>;
  /** Replaces the set's inline policy (`undefined`: deletes it). */
  putInlinePolicy(
    instanceArn: string,
    permissionSetArn: string,
    document: string | undefined,
  ): Promise<AwsReceipt>;
  /**
   * Starts ProvisionPermissionSet to one account and reads its status once; `not-provisioned`
   * when the set is not (or no longer) provisioned there, so nothing in it can use the set.
   */
  provision(
    instanceArn: string,
    permissionSetArn: string,
    accountId: string,
  ): Promise<OperationState | { readonly notProvisioned: true }>;
}

/** Identity Center users by the broker's principal (an email or a user name). */
export interface IdentityCenterUsers {
  /**
   * The user id of the user whose primary email (`emails.value`) or, failing that, user name is
   * `name`; undefined when nobody matches.
   */
  userIdOf(identityStoreId: string, name: string): Promise<string | undefined>;
}

/** An account of the Organization. */
export interface OrgAccount {
  readonly id: string;
  readonly name: string;
}

/** The Organization's accounts by OU (organizations). */
export interface OrganizationAccounts {
  /** Active accounts directly under `ou`, and with `nested` also under its child OUs. */
  accountsUnder(ou: string, nested: boolean): Promise<readonly OrgAccount[]>;
  /** The name of account `id`, or undefined when it cannot be read. */
  nameOf(id: string): Promise<string | undefined>;
}
