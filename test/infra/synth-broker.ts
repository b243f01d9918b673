import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { Template } from 'aws-cdk-lib/assertions';
import { createBrokerApp, type BrokerAppOptions } from '../../infra/broker-app.js';
import type { BrokerStack } from '../../infra/broker-stack.js';

/** CDK context that skips asset bundling (esbuild) for tests that only read the template. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface SynthResult {
  readonly stack: BrokerStack;
  readonly assembly: CloudAssembly;
  readonly template: Template;
  readonly json: Record<string, unknown> & { Resources: Record<string, CfnResource> };
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * Synthesizes the broker app exactly as `cdk synth` does (cdk-nag included: an unacknowledged
 * finding throws) into a fresh directory, and returns the stack's template.
 */
export function synthBroker(
  options: {
    context?: Record<string, unknown>;
    bundle?: boolean;
    /** Changes the stack before synthesis (e.g. to add a resource cdk-nag must reject). */
    amend?: (stack: BrokerStack) => void;
  } = {},
): SynthResult {
  const appOptions: BrokerAppOptions = {
    outdir: mkdtempSync(join(tmpdir(), 'jit-cdk-')),
    context: { ...(options.bundle ? {} : SKIP_BUNDLING), ...options.context },
  };
  const { app, stack } = createBrokerApp(appOptions);
  options.amend?.(stack);
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template as SynthResult['json'];
  return { stack, assembly, template: Template.fromJSON(json), json };
}
