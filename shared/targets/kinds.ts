import type { TargetKind } from '../domain/target-kind.js';
import { GROUP_KIND } from './group/kind.js';
import { PERMISSION_SET_KIND } from './permission-set/kind.js';
import { IDENTITY_CENTER_GROUP_KIND } from './identity-center-group/kind.js';
import { ROLE_KIND } from './role/kind.js';

/**
 * The registered target kinds (pure halves): what the policy parser accepts and the
 * decisions know. A new kind is a folder beside these and one line here (and one in
 * drivers.ts for its runtime half).
 */
export const TARGET_KINDS: readonly TargetKind[] = [
  ROLE_KIND as TargetKind,
  GROUP_KIND as TargetKind,
  PERMISSION_SET_KIND as TargetKind,
  IDENTITY_CENTER_GROUP_KIND as TargetKind,
];

/** The registered kind named `kind`, if any. */
export function targetKindOf(kind: string): TargetKind | undefined {
  return TARGET_KINDS.find((k) => k.kind === kind);
}
