import type { Finding } from '../domain/doctor';
import { formatTable } from '../cluster/format/table';

/** One line per finding, aligned on severity, check and subject: what was found, then what to do. */
export function doctorLines(findings: Finding[]): string[] {
  const rows = findings.map((f) => [f.severity, f.check, f.subject, `${f.found}${f.todo ? ` — to do: ${f.todo}` : ''}`]);
  return formatTable(['SEVERITY', 'CHECK', 'SUBJECT', 'FOUND'], rows);
}

export function doctorSummary(findings: Finding[]): string {
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  const verdict = n('blocks') ? 'a recovery is blocked (exit 1)' : 'nothing blocks a recovery';
  return `${n('blocks')} blocking, ${n('warns')} warning${n('warns') === 1 ? '' : 's'}, ${n('ok')} ok: ${verdict}`;
}
