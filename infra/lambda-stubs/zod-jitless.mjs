/**
 * zod without its JIT in the Lambda bundles. Injected into every bundle (infra/bundling.ts), so it
 * runs before any module builds a schema.
 *
 * Why: the first time a zod object schema parses, zod writes a parser for that one shape and
 * compiles it with `new Function`. That pays off in a process that parses the same shape
 * thousands of times. A Lambda cold start parses each shape once or a few times: the policy
 * when it is read, then a request's input. The JIT then costs more than it saves. Without it,
 * the Slack function's first answer after a cold start took 12 ms less (its CPU time 24 ms
 * less), mostly in reading the policy (`npm run bench:slack -- --only=cold`, 2026-12-01). A
 * warm function's parses are of small inputs, where the difference is microseconds.
 * The parse results are the same either way.
 */
import * as z from 'zod';

z.config({ jitless: true });
