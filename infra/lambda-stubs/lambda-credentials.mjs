// Stands in, inside the Lambda bundles, for @aws-sdk/credential-provider-node: see
// LAMBDA_CREDENTIALS in infra/bundling.ts. Lambda hands a function its role's credentials in
// the environment, so the default chain's other providers (profiles, SSO, web identity,
// instance metadata), with the STS and SSO clients they load, are left out.
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The SDK clients' default credentials: the environment's, as Lambda sets them. */
export const defaultProvider = (init = {}) => fromEnv(init);
