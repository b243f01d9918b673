/**
 * A large, valid access policy as YAML, for the policy loader's scale test and its benchmark
 * (bench/policy.ts): `targets` targets alternating role and group, over `sets` people sets
 * of `usersPerSet` users, with one identity override per user.
 */
export function largePolicyYaml(options: {
  readonly targets: number;
  readonly sets?: number;
  readonly usersPerSet?: number;
}): string {
  const sets = options.sets ?? 100;
  const usersPerSet = options.usersPerSet ?? 10;
  const lines = ['version: 1', 'people:'];
  const identities = ['identities:'];
  for (let s = 0; s < sets; s++) {
    const users = Array.from({ length: usersPerSet }, (_, u) => userId(s * usersPerSet + u));
    lines.push(`  team-${s}:`, `    users: [${users.join(', ')}]`);
    for (const user of users) identities.push(`  ${user}: person.${user.toLowerCase()}`);
  }
  lines.push(...identities, 'targets:');
  for (let t = 0; t < options.targets; t++) {
    const kind = t % 2 === 0 ? 'group' : 'role';
    lines.push(
      `  - id: target-${t}`,
      `    kind: ${kind}`,
      kind === 'group'
        ? `    groupName: jit-group-${t}`
        : `    roleArn: arn:aws:iam::111122223333:role/jit/Role${t}`,
      `    description: Target number ${t}`,
      `    requesters: [team-${t % sets}]`,
      `    approvers: [team-${(t + 1) % sets}]`,
      '    defaultDuration: 1h',
      '    maxDuration: 4h',
    );
  }
  return `${lines.join('\n')}\n`;
}

function userId(n: number): string {
  return `U${String(n).padStart(8, '0')}`;
}
