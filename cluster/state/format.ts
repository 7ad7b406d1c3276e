// Text of `gprecover state`: pure, from a collected ClusterState.
import { formatTable } from '../format/table';
import { actionSummary, reasonLines } from './actions';
import type { ClusterState } from './collect';
import { lockLine } from './lock';

export const STATE_HEADER = ['dbid', 'content', 'role', 'preferred', 'mode', 'status', 'host', 'address:port', 'datadir', 'answers', 'WAL bytes behind', 'action'];

export function stateTable(s: ClusterState): string[] {
  const action = new Map(s.contents.map((c) => [c.content, c.action]));
  const rows = s.segments.map((r) => [
    String(r.dbid), String(r.content), r.role, r.preferredRole, r.mode, r.status, r.hostname, `${r.address}:${r.port}`, r.datadir,
    r.answers ? 'yes' : 'NO', r.role === 'm' ? (r.walBytesBehind === null ? '-' : String(r.walBytesBehind)) : '',
    action.get(r.content) ?? '',
  ]);
  return formatTable(STATE_HEADER, rows);
}

/** Everything but the run, which the client reads from Temporal. */
export function formatState(s: ClusterState): string[] {
  return [
    `cluster ${s.cluster} (${s.flavor.title}), coordinator ${s.coordinator.host}:${s.coordinator.port}`,
    ...stateTable(s),
    actionSummary(s.contents),
    ...reasonLines(s.contents),
    s.lockError ? `gprecoverseg lock: unknown (${s.lockError})` : lockLine(s.lock),
  ];
}
