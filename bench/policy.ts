/**
 * Policy load time: writes a generated policy of `--targets` targets (over `--sets` people
 * sets of `--users-per-set` users, each user with an identity override) to a temporary file
 * and prints its size and the time loadPolicyFile takes (read, YAML parse, duplicate-key
 * check, validation, freeze; what synth and the local runner do), then the time
 * loadBundledPolicy takes on the same policy bundled as the stack bundles it (read, hash, JSON
 * parse, validation, freeze; what a function does at cold start): the best and the median of
 * `--runs` loads, in wall-clock and in this process's CPU time (steadier on a shared machine).
 *
 *   npx tsx bench/policy.ts [--targets 5000] [--sets 100] [--users-per-set 10] [--runs 5]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBundledPolicy } from '../shared/config/bundled-policy.js';
import { bundledPolicyDocument } from '../shared/config/bundled-policy-writer.js';
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
  writeFileSync(`${path}.json`, bundledPolicyDocument(path));
  const summary = (times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    const ms = (t: number | undefined) => `${(t ?? 0).toFixed(0)} ms`;
    return `best ${ms(sorted[0])}, median ${ms(sorted[Math.floor(sorted.length / 2)])}`;
  };
  const measure = (load: () => { targets: readonly unknown[] }) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let run = 0; run < runs; run++) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const policy = load();
      wall.push(performance.now() - started);
      const used = process.cpuUsage(cpuBefore);
      cpu.push((used.user + used.system) / 1000);
      if (policy.targets.length !== targets) throw new Error(`loaded ${policy.targets.length} targets`);
    }
    return `wall ${summary(wall)}; cpu ${summary(cpu)}`;
  };
  console.log(
    `policy of ${targets} targets, ${shape.sets * shape.usersPerSet} identities, ${statSync(path).size} bytes ` +
      `(bundled document ${statSync(`${path}.json`).size} bytes), ${runs} loads:\n` +
      `  the file (YAML; synth, local runner): ${measure(() => loadPolicyFile(path))}\n` +
      `  bundled (JSON document; a function):  ${measure(() => loadBundledPolicy(path).policy)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
