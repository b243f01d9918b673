import { parsePerson, tryParsePerson, type Person } from './person.js';
import type { AccessPolicy } from './policy.js';

/**
 * Who a request API caller is. The API sits behind AWS_IAM auth, so the caller is the IAM
 * principal that signed the request (SigV4): an IAM user, or an assumed-role session
 * (`arn:aws:sts::111122223333:assumed-role/<role>/<session>`). In order:
 * 1. the policy's explicit map (`api.callers`), which may name any person (a Slack user id, so
 *    the terminal acts as the same person as Slack, with the same requests and decisions);
 * 2. otherwise the caller is the `cli:<arn>` person, named as such in people sets; an
 *    assumed-role session of a role listed in `api.emailSessionRoles` also carries its session
 *    name as the person's email (then matched by `emails:` sets and mapped to an AWS identity).
 */
export type ApiCaller =
  | { readonly ok: true; readonly person: Person; readonly email?: string }
  | { readonly ok: false; readonly message: string };

const IAM_USER = /^arn:aws[a-z-]*:iam::\d{12}:user\/[\w+=,.@/-]+$/;
const ASSUMED_ROLE = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Maps the SigV4 principal ARN of a request API call to a person, or says why it cannot. */
export function personOfApiCaller(policy: Pick<AccessPolicy, 'api'>, principalArn: string): ApiCaller {
  const mapped = policy.api?.callers[principalArn];
  if (mapped !== undefined) return { ok: true, person: parsePerson(mapped) };
  const role = ASSUMED_ROLE.exec(principalArn);
  if (!IAM_USER.test(principalArn) && !role) {
    // Why: root, federated-user and other principals are not a person the policy can name.
    return {
      ok: false,
      message:
        'Only IAM users and assumed-role sessions can use the request API; ask an administrator to map your principal (api.callers).',
    };
  }
  const parsed = tryParsePerson(`cli:${principalArn}`);
  if ('problem' in parsed) return { ok: false, message: `Your AWS principal ${parsed.problem}.` };
  const [, roleName, session] = role ?? [];
  // Why only listed roles: any other role's session name is chosen by whoever assumes it.
  const email =
    roleName !== undefined &&
    session !== undefined &&
    policy.api?.emailSessionRoles.includes(roleName) &&
    EMAIL.test(session)
      ? session.toLowerCase()
      : undefined;
  return email === undefined
    ? { ok: true, person: parsed.person }
    : { ok: true, person: parsed.person, email };
}
