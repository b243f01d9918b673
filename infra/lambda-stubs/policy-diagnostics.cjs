'use strict';
/* global module */
// Stands in, inside the Lambda bundles, for the `yaml` library: see POLICY_DIAGNOSTICS_STUB in
// infra/bundling.ts. Only the policy's thorough reader uses it, when the fast reader refused
// the bundled policy, which synth had validated: the file was changed after synth.
function refusedBundledPolicy() {
  throw new Error(
    'The bundled access policy cannot be read (it was valid at synth time, so it changed since): ' +
      'run `npm run synth`, which reads the policy file and names each problem, then deploy again.',
  );
}
// The names shared/domain/policy.ts imports (an ES import of a CommonJS module copies its own
// properties, so each is listed; test/infra/bundling.test.ts reads a refused policy through it).
module.exports = {
  parseDocument: refusedBundledPolicy,
  isMap: refusedBundledPolicy,
  isScalar: refusedBundledPolicy,
  isSeq: refusedBundledPolicy,
};
