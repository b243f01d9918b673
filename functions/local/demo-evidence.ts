import { Writable } from 'node:stream';
import { EXIT, main as auditCli } from '../cli/audit.js';
import type { Clock } from '../../shared/domain/ports.js';
import type { LocalEvidence } from './runner.js';
import { ScenarioError, type ScenarioStep } from './scenario.js';

/** What one `jit-audit` command run in-process answered. */
export interface AuditCliRun {
  /** The command line, as an auditor would type it. */
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The evidence at the end of the demo: the anchored verification and the access review. */
export interface EvidenceRun {
  readonly steps: ScenarioStep[];
  readonly verify: AuditCliRun;
  readonly report: AuditCliRun;
}

const DAY_MS = 86_400_000;

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * The end of `npm run demo`: anchors the chain heads once (the timer's job, done now), then
 * runs the auditors' CLI in-process on the broker's trail, as an auditor would:
 * `jit-audit verify --anchored` against the local anchors and public key, and
 * `jit-audit report` over the days the scenario ran (by the broker's clock, which the demo
 * moves). Throws a ScenarioError when the anchor is not written or either command fails.
 */
export async function playEvidence(
  evidence: LocalEvidence,
  options: {
    readonly clock: Clock;
    /** When the scenario began, by the broker's clock: the report starts on its day. */
    readonly since: Date;
    /** The wall-clock time the printed timeline counts from (default: now). */
    readonly timelineStartMs?: number;
  },
  onStep: (step: ScenarioStep) => void = () => undefined,
): Promise<EvidenceRun> {
  const started = options.timelineStartMs ?? Date.now();
  const steps: ScenarioStep[] = [];
  const step = (name: string, detail: string) => {
    const entry = { name, ms: Date.now() - started, detail };
    steps.push(entry);
    onStep(entry);
  };
  const cliDeps = {
    reader: evidence.reader,
    digests: evidence.digests,
    clock: options.clock,
    table: evidence.auditTable,
  };
  const run = async (argv: string[]): Promise<AuditCliRun> => {
    const stdout = collector();
    const stderr = collector();
    const exitCode = await auditCli(argv, { stdout: stdout.stream, stderr: stderr.stream, env: {} }, cliDeps);
    return { command: `jit-audit ${argv.join(' ')}`, exitCode, stdout: stdout.text(), stderr: stderr.text() };
  };
  const expectOk = (result: AuditCliRun) => {
    if (result.exitCode !== EXIT.ok) {
      throw new ScenarioError(
        `${result.command} exited ${result.exitCode}:\n${result.stdout}${result.stderr}`.trimEnd(),
      );
    }
  };

  const anchored = await evidence.anchors.anchorNow();
  if (anchored.status === 'anchored') {
    step('anchor', `chain heads signed and written to ${anchored.location}`);
  } else if (anchored.status === 'unchanged' && anchored.createdAt !== undefined) {
    step('anchor', `chain heads unchanged since the anchor of ${anchored.createdAt}`);
  } else {
    throw new ScenarioError(`no anchor was written: ${JSON.stringify(anchored)}`);
  }

  const verify = await run([
    'verify',
    '--anchored',
    '--anchors',
    evidence.anchors.dir,
    '--public-key',
    evidence.anchors.publicKeyFile,
  ]);
  expectOk(verify);
  step('verify anchors', `every chain verified against its signed anchors (${evidence.anchors.dir})`);

  // The days the scenario ran, by the broker's clock: [its first day, the day after its last).
  const from = options.since.toISOString().slice(0, 10);
  const to = new Date(options.clock.now().getTime() + DAY_MS).toISOString().slice(0, 10);
  const report = await run(['report', '--from', from, '--to', to]);
  expectOk(report);
  step('report', `access review of ${from} to ${to}`);
  return { steps, verify, report };
}
