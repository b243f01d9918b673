import { expect } from 'vitest';
import type { SynthResult } from './synth-broker.js';

/** How long a test's synthesis (cdk-nag included) may take on a busy machine. */
export const SYNTH_TIMEOUT_MS = 240_000;

/** An IAM policy statement as it appears in a synthesized template. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

export const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** A template value as text: `{"Ref":"AWS::Partition"}` → `<AWS::Partition>`, joins joined. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
  if (Array.isArray(intrinsic['Fn::GetAtt'])) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}

/** Reads the statements of a synthesized template by the logical-id prefix of what holds them. */
export function templateStatements(synth: SynthResult) {
  const resources = Object.entries(synth.json.Resources);
  const logicalIdOf = (prefix: string, type: string): string => {
    const found = resources.filter(([id, r]) => r.Type === type && id.startsWith(prefix));
    expect(found, `${type} ${prefix}`).toHaveLength(1);
    return found[0]![0];
  };
  /** The statements of every policy attached to the role whose logical id starts with `prefix`. */
  const ofRole = (prefix: string): Statement[] => {
    const roleId = logicalIdOf(prefix, 'AWS::IAM::Role');
    return resources
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
      .filter(([, r]) =>
        ((r.Properties?.Roles ?? []) as unknown[]).some((ref) => JSON.stringify(ref).includes(roleId)),
      )
      .flatMap(([, r]) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  /** The statements of the managed policy whose logical id starts with `prefix`. */
  const ofManagedPolicy = (prefix: string): Statement[] =>
    (
      synth.json.Resources[logicalIdOf(prefix, 'AWS::IAM::ManagedPolicy')]!.Properties!.PolicyDocument as {
        Statement: Statement[];
      }
    ).Statement;
  /** Resources (rendered) of the allow statements of `statements` that grant `action`, sorted. */
  const resourcesFor = (statements: Statement[], action: string): string[] =>
    [
      ...new Set(
        statements
          .filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action))
          .flatMap((s) => list(s.Resource).map(render)),
      ),
    ].sort();
  return { logicalIdOf, ofRole, ofManagedPolicy, resourcesFor };
}
