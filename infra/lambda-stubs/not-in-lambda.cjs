'use strict';
/* global module */
// Stands in, inside the Lambda bundles, for a module only other runtimes use (Bolt's Express
// and Socket Mode receivers and the HTTP body reader of its HTTP receiver): see infra/bundling.ts.
// Loading it is harmless; using it throws, naming why.
function notInLambda() {
  throw new Error(
    'This module is left out of the Lambda bundle (infra/bundling.ts): only the AWS Lambda receiver runs there.',
  );
}
module.exports = new Proxy(notInLambda, {
  get(target, property) {
    // Module interop probes (__esModule, then, Symbol.toPrimitive...) see a plain CommonJS value.
    if (typeof property === 'symbol' || property === '__esModule' || property === 'then') return undefined;
    if (property in target) return target[property];
    return notInLambda;
  },
});
