import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on `scope` (and its children), with the reason a
 * reviewer needs. cdk-nag 3 matches findings by exact id, e.g. `AwsSolutions-IAM5[Resource::…]`.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges AwsSolutions-IAM5 for each wildcard resource in `resources`, written the way
 * cdk-nag writes it (`arn:<AWS::Partition>:…`): tokens are rendered like the rule renders them.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  for (const resource of resources) {
    if (!resource.includes('*')) continue;
    acknowledge(
      scope,
      `AwsSolutions-IAM5[Resource::${renderForNag(Stack.of(scope).resolve(resource))}]`,
      reason,
    );
  }
}

function renderForNag(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(renderForNag).join(separator);
  }
  if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
  if (Array.isArray(intrinsic['Fn::GetAtt'])) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  throw new Error(`cannot render ${JSON.stringify(value)} as a cdk-nag finding id`);
}
