import { findTenant } from '../auth/accounts.js';
import { checkIntegrity } from '../connections/integrity.js';
import type { Command } from './command.js';
import { table } from './table.js';

/**
 * `check:integrity [--tenant <slug|id>]`: every violation of invariant I1 (docs/decisions/
 * 009-grant-ledger.md) and every intent or grant still in flight, with its age. Exit 0 only
 * when there is nothing to report, so it can gate a deploy or page someone.
 */
export const checkIntegrityCommand: Command = {
  usage: '[--tenant <slug|id>]',
  options: { tenant: { type: 'string' } },
  async run(services, values) {
    let tenantId: string | undefined;
    if (typeof values.tenant === 'string') {
      const tenant = await findTenant(services.orm.em.fork(), values.tenant);
      if (!tenant) throw new Error(`No tenant "${values.tenant}".`);
      tenantId = tenant.id;
    }
    const report = await checkIntegrity(services, { tenantId });
    const lines: string[] = [];
    lines.push(
      report.violations.length
        ? `${report.violations.length} violation(s) of I1:\n\n${table(
            ['TENANT', 'CONNECTOR', 'PROBLEM'],
            report.violations.map((v) => [v.tenantId, v.connector, v.problem]),
          )}`
        : 'No violations: every active installation holds exactly its active grant, and nothing else is held.',
    );
    lines.push(
      '',
      report.pending.length
        ? `${report.pending.length} item(s) in flight:\n\n${table(
            ['KIND', 'STATE', 'TENANT', 'CONNECTOR', 'AGE', 'ATTEMPTS', 'LAST ERROR', 'ID'],
            report.pending.map((p) => [
              p.kind,
              p.state,
              p.tenantId,
              p.connector,
              `${p.ageSeconds}s`,
              p.attempts === undefined ? '' : String(p.attempts),
              p.lastError ?? '',
              p.id,
            ]),
          )}`
        : 'Nothing in flight: no open intents, no grants pending, revoking or failed.',
    );
    const clean = report.violations.length === 0 && report.pending.length === 0;
    return { text: lines.join('\n'), json: { ok: clean, ...report }, exitCode: clean ? 0 : 1 };
  },
};
