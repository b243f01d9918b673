import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT, main, type CliDeps } from '../../../functions/cli/audit.js';
import type { AuditEventInput } from '../../../shared/domain/audit.js';
import { InMemoryAuditLog, ManualClock } from '../../support/fakes.js';
import { InMemoryAuditReader } from '../../support/in-memory-audit-reader.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

function event(
  type: AuditEventInput['type'],
  at: string,
  requestId: string,
  actor = 'system:worker',
): AuditEventInput {
  return { type, at, actor, subject: 'UDEV1', targetId: 'prod-role', requestId, breakGlass: false };
}

async function run(argv: string[]) {
  const log = new InMemoryAuditLog();
  [
    event('request.submitted', '2026-11-02T09:00:00.000Z', 'r1', 'UDEV1'),
    event('request.approved', '2026-11-02T09:10:00.000Z', 'r1', 'ULEAD1'),
    event('grant.activated', '2026-11-02T09:11:00.000Z', 'r1'),
    event('grant.expired', '2026-11-02T11:11:00.000Z', 'r1'),
    { ...event('grant.activity-summarised', '2026-11-02T11:30:00.000Z', 'r1'), detail: { calls: 0 } },
    {
      ...event('drift.detected', '2026-11-03T06:00:00.000Z', 'drift:dev-group:jdoe', 'system:reconciler'),
      subject: 'jdoe',
      principal: 'jdoe',
      targetId: 'dev-group',
      detail: { groupName: 'jit-dev' },
    },
  ].forEach((e) => log.appendNow(e));
  const deps = {
    reader: new InMemoryAuditReader(() => log.events),
    clock: new ManualClock('2026-12-05T00:00:00.000Z'),
  } as unknown as CliDeps;
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout: stdout.stream, stderr: stderr.stream, env: {} }, deps);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('jit-audit report', () => {
  it('prints per target who had access, a sparkline, latency and never-used grants', async () => {
    const { code, stdout } = await run(['report', '--from', '2026-11-01', '--to', '2026-11-04']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('prod-role  1 grants, 2h 0m  ▁█▁');
    expect(stdout).toContain('  UDEV1  1 grants, 2h 0m');
    expect(stdout).toContain('Approvals by approver: ULEAD1 1');
    expect(stdout).toContain('Approval latency (1 approvals): p50 10m, p95 10m');
    expect(stdout).toContain('Grants never used: 1\n  r1  UDEV1 on prod-role');
    expect(stdout).toContain(
      'dev-group  0 grants, 0m  ▁▁▁\n  standing (drift): jdoe in jit-dev, first seen 2026-11-03T06:00:00.000Z, not removed',
    );
  });

  it('needs both ends of the period', async () => {
    const { code, stderr } = await run(['report', '--from', '2026-11-01']);
    expect(code).toBe(EXIT.badInput);
    expect(stderr).toContain('report needs --from and --to');
  });
});
