import type { ActivityProgress } from '../domain/activities';
import { formatEta } from '../domain/eta';

/**
 * One line for an activity's heartbeat (domain/activities.ts ActivityProgress), as `status`, `--wait` and `state`
 * show it: a copy's tool and kB done of total, a mirror's WAL bytes behind, or the step's own phase. A heartbeat of
 * an older worker (a plain string) is shown as it is.
 */
export function formatProgress(p: unknown): string | undefined {
  if (p === undefined || p === null) return undefined;
  if (typeof p === 'string') return p;
  if (typeof p !== 'object') return String(p);
  const a = p as ActivityProgress;
  const text = progressText(a);
  const rate = a.rateBytesPerSec ? `${(a.rateBytesPerSec / 1e6).toFixed(1)} MB/s` : undefined;
  const eta = a.etaSeconds !== undefined ? `ETA ${formatEta(a.etaSeconds)}` : undefined;
  return [text, rate, eta].filter(Boolean).join(', ');
}

function progressText(a: ActivityProgress): string {
  const kb = (bytes: number) => Math.round(bytes / 1024);
  if (a.tool && a.bytesDone !== undefined && a.bytesTotal) {
    const pct = a.percent ?? Math.floor((a.bytesDone / a.bytesTotal) * 100);
    return `${a.tool} ${kb(a.bytesDone)}/${kb(a.bytesTotal)} kB (${pct}%)`;
  }
  if (a.tool && a.percent !== undefined) return `${a.tool} ${a.percent}%`;
  if (a.tool && a.line) return `${a.tool} ${a.line}`.trim();
  if (a.walBytesBehind !== undefined) return `${a.phase}, ${a.walBytesBehind} WAL bytes behind`;
  return a.phase;
}
