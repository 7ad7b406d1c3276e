// Pure: a timeline as the text `gprecover show` prints.
import { formatProgress } from '../progressText';
import type { SegmentRow } from '../../domain/segment';
import { asObject, descendants, type ActivityStep, type ExecutionTimeline, type RunTimeline } from './model';

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

const clock = (iso?: string) => (iso ? iso.slice(11, 23) : '?'.padEnd(12));
const rowText = (r?: SegmentRow) => (r ? `${r.role}/${r.mode}/${r.status} ${r.hostname}:${r.port}:${r.datadir}` : '?');
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

function compactJson(v: unknown, max = 400): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars; --json for all)` : s;
}

function stepLine(s: ActivityStep, indent: string): string {
  const attempts = s.attempts > 1 ? `  ${s.attempts} attempts` : '';
  const dur = s.outcome === 'running' ? 'running' : formatDuration(s.durationMs);
  const tail = s.failure ? `  ${oneLine(s.failure)}` : s.heartbeat !== undefined ? `  ${oneLine(formatProgress(s.heartbeat) ?? '')}` : '';
  const earlier = s.lastFailure ? `\n${indent}                  earlier attempt failed: ${oneLine(s.lastFailure)}` : '';
  const local = s.local ? '  (local)' : '';
  return `${indent}${clock(s.scheduledAt)}  ${s.activity.padEnd(24)} ${s.outcome.padEnd(9)} ${dur.padStart(8)}${attempts}${local}${tail}${earlier}`;
}

function executionLines(ex: ExecutionTimeline, indent: string): string[] {
  const input = asObject(ex.input);
  const item = asObject(input?.item);
  const label = item ? `segment dbid ${item.dbid} (content ${item.content}, ${item.type}${item.moved ? ', moved' : ''})` : ex.workflowType;
  const lines = [`${indent}${label}  ${ex.workflowId}  run ${ex.runId.slice(0, 8)}  ${ex.status}  ${clock(ex.startedAt)} -> ${ex.endedAt ? clock(ex.endedAt) : 'now'}  ${formatDuration(ex.durationMs)}`];
  if (ex.missingHistory) lines.push(`${indent}  (its history could not be read; status from the parent's events)`);
  for (const s of ex.steps) lines.push(stepLine(s, `${indent}  `));
  const lastStepFailure = ex.steps.filter((s) => s.failure).at(-1)?.failure;
  if (ex.failure && ex.status !== 'completed' && ex.failure !== lastStepFailure) lines.push(`${indent}  ${ex.status}: ${oneLine(ex.failure)}`);
  for (const c of ex.children) lines.push(...executionLines(c, `${indent}  `));
  return lines;
}

export function formatTimeline(t: RunTimeline): string[] {
  const lines = [
    `${t.workflowId}  run ${t.runId}  ${t.workflowType}  ${t.status.toUpperCase()}  outcome ${t.outcome}`,
    `  started  ${t.startedAt ?? '?'}${t.requestedBy ? `  by ${t.requestedBy}` : ''}${t.identity ? `  (client ${t.identity})` : ''}`,
  ];
  if (t.command) lines.push(`  command  ${t.command}`);
  lines.push(`  input    ${compactJson(t.input)}`);
  lines.push(t.endedAt ? `  ended    ${t.endedAt}  after ${formatDuration(t.durationMs)}` : `  running  for ${formatDuration(t.durationMs)}`);
  const attrs = Object.entries(t.searchAttributes).filter(([k]) => !k.startsWith('Temporal'));
  if (attrs.length) lines.push(`  search   ${attrs.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join('  ')}`);

  lines.push('', t.plan ? `Plan (from ${t.plan.from}): ${t.plan.items.length} segment(s) to recover` : 'Plan: none recorded (the run ended before planning finished)');
  for (const i of t.plan?.items ?? []) {
    const to = `${i.target.hostname}:${i.target.port}:${i.target.datadir}`;
    lines.push(`  dbid ${String(i.dbid).padEnd(4)} content ${String(i.content).padEnd(4)} ${i.type.padEnd(12)} ${i.moved && i.failed ? `${i.failed} -> ` : ''}${to}${i.sourceDbid !== undefined ? `  from dbid ${i.sourceDbid}` : ''}`);
  }
  for (const s of t.plan?.skipped ?? []) lines.push(`  dbid ${String(s.dbid).padEnd(4)} content ${String(s.content).padEnd(4)} skipped: ${s.reason}`);
  for (const w of t.plan?.warnings ?? []) lines.push(`  warning: ${w}`);
  if (t.rebalance) lines.push(`  rebalance: swapped contents [${t.rebalance.swapped.join(', ')}], recovered dbids [${t.rebalance.recovered.join(', ')}]${t.rebalance.skipped.length ? `, skipped ${t.rebalance.skipped.map((s) => `content ${s.content} (${s.reason})`).join('; ')}` : ''}`);

  lines.push('', 'Timeline (UTC):');
  for (const s of t.steps) lines.push(stepLine(s, '  '));
  for (const c of t.children) lines.push(...executionLines(c, '  '));

  lines.push('', t.catalogChanges.length ? 'Catalog changes:' : 'Catalog changes: none');
  for (const c of t.catalogChanges) {
    if (c.activity === 'updateCatalog') {
      lines.push(`  ${clock(c.at)}  dbid ${c.dbid} updated (${c.outcome}): ${rowText(c.before)} -> ${rowText(c.after)}${c.rewritten ? ' (row re-added)' : ''}`);
    } else {
      lines.push(`  ${clock(c.at)}  dbid ${c.dbid} backed out (${c.outcome}${c.restored === false ? ', nothing to restore' : ''}): restored ${rowText(c.after)}${c.reason ? `  reason: ${oneLine(c.reason)}` : ''}`);
    }
  }
  if (t.controls.length) {
    lines.push('', 'Live controls:');
    for (const c of t.controls) {
      const what = Object.entries(c.args ?? {}).filter(([k]) => k !== 'requestedBy').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
      lines.push(`  ${clock(c.at)}  ${c.name}${what ? ` ${what}` : ''}  by ${c.by ?? 'unknown'}`);
    }
  }
  if (t.evidence.length) {
    lines.push('', 'Evidence kept before full copies (on the segment host):');
    for (const e of t.evidence) {
      lines.push(`  ${clock(e.at)}  dbid ${e.dbid} ${e.kept ? `${e.where} (${e.kilobytes ?? '?'} kB, ${e.files ?? '?'} files)` : `none kept: ${oneLine(e.note ?? '')}`}`);
    }
  }
  if (t.errors.length) {
    lines.push('', 'Errors:');
    for (const e of t.errors) lines.push(`  ${clock(e.at)}  ${e.workflowId === t.workflowId ? '' : `${e.workflowId}  `}${e.where}: ${oneLine(e.message)}`);
  }
  const segs = descendants(t).filter((c) => c.workflowType === 'segmentRecoveryWorkflow');
  const done = segs.filter((c) => c.status === 'completed').length;
  lines.push('', `Outcome: ${t.outcome}${segs.length ? ` (${done} of ${segs.length} segment workflow(s) completed)` : ''}${t.failure && t.status !== 'completed' ? `: ${oneLine(t.failure)}` : ''}`);
  return lines;
}
