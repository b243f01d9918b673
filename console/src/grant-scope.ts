import type { RequestView } from '../../shared/api/console-schema.js';
import { accountsText, grantScopeText, type GrantNames } from '../../shared/domain/grant-names.js';

/** The names the API sent with a request, in the shape the shared wording reads. */
function namesOf(r: RequestView): GrantNames {
  return {
    accounts: r.accounts ?? [],
    ...(r.permissionSetName === undefined ? {} : { permissionSetName: r.permissionSetName }),
  };
}

/**
 * Where a request or grant applies, as Slack words it: "AdministratorAccess in shop-staging
 * (444455556666)"; undefined for a kind not granted per account.
 */
export function scopeOf(r: RequestView): string | undefined {
  return grantScopeText(namesOf(r));
}

/**
 * A grant's name for its buttons: the target, and its accounts when it has some, so that the
 * grants of one request over several accounts are told apart ("shop-admin in shop-staging (4444…)").
 */
export function grantLabel(r: RequestView): string {
  const where = accountsText(namesOf(r));
  return where === undefined ? r.targetId : `${r.targetId} in ${where}`;
}
