/**
 * Policy load time: writes a generated policy of `--targets` targets (over `--sets` people
 * sets of `--users-per-set` users, each user with an identity override) to a temporary file
 * and prints its size and the time loadPolicyFile takes (read, YAML parse, duplicate-key
 * check, validation, freeze): the best and the median of `--runs` loads, in wall-clock and
 * in this process's CPU time (steadier on a shared machine).
 *
 *   npx tsx bench/policy.ts [--targets 5000] [--sets 100] [--users-per-set 10] [--runs 5]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPolicyFile } from '../shared/config/policy-file.js';
import { largePolicyYaml } from '../test/support/large-policy.js';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '5000' },
    sets: { type: 'string', default: '100' },
    'users-per-set': { type: 'string', default: '10' },
    runs: { type: 'string', default: '5' },
  },
});
const targets = Number(values.targets);
const runs = Number(values.runs);
const shape = { targets, sets: Number(values.sets), usersPerSet: Number(values['users-per-set']) };

const dir = mkdtempSync(join(tmpdir(), 'policy-bench-'));
try {
  const path = join(dir, 'policy.yaml');
  writeFileSync(path, largePolicyYaml(shape));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const policy = loadPolicyFile(path);
    wall.push(performance.now() - started);
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
    if (policy.targets.length !== targets) throw new Error(`loaded ${policy.targets.length} targets`);
  }
  const summary = (times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    const ms = (t: number | undefined) => `${(t ?? 0).toFixed(0)} ms`;
    return `best ${ms(sorted[0])}, median ${ms(sorted[Math.floor(sorted.length / 2)])}`;
  };
  console.log(
    `policy of ${targets} targets, ${shape.sets * shape.usersPerSet} identities, ${statSync(path).size} bytes, ${runs} loads:\n` +
      `  wall ${summary(wall)}\n  cpu  ${summary(cpu)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
