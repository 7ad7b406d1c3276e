import type { Location } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { runChecked } from '../exec/executor';

const fileOf = (seg: Pick<Location, 'datadir'>) => `${seg.datadir}/pg_hba.conf`;

export async function readHbaFile(ctx: ClusterContext, seg: Location): Promise<{ text: string }> {
  return { text: (await runChecked(ctx.host(seg), ['cat', fileOf(seg)], { timeoutMs: 30_000 })).stdout };
}

// seg_update_pg_hba.py write_entries: a temporary file beside it with the file's own mode, renamed over it.
const WRITE = String.raw`
f=$1
t=$(mktemp "$(dirname "$f")/pg_hba.XXXXXX.tmp") || exit 1
cat > "$t" && chmod --reference="$f" "$t" && mv "$t" "$f" || { rm -f "$t"; exit 1; }
`;

export async function writeHbaFile(ctx: ClusterContext, seg: Location, text: string): Promise<void> {
  await runChecked(ctx.host(seg), ['sh', '-c', WRITE, 'gprecover-hba', fileOf(seg)], { input: text, timeoutMs: 30_000 });
}

/**
 * pg_ctl reload, then what the server makes of the file on disk (pg_hba_file_rules): a line it cannot load (a host
 * name with a mask, say) leaves it on its old rules now and stops it at its next start. Returns those errors.
 */
export async function reloadHba(ctx: ClusterContext, seg: Location): Promise<string[]> {
  await runChecked(ctx.host(seg), [`${ctx.bin}/pg_ctl`, 'reload', '-D', seg.datadir], { timeoutMs: 60_000 });
  return hbaLoadErrors(ctx, seg);
}

/** The lines of the pg_hba.conf on disk that the server would not load (pg_hba_file_rules reads the file as it is). */
export async function hbaLoadErrors(ctx: ClusterContext, seg: Location): Promise<string[]> {
  return ctx.sessionsOn(seg).use(async (c) => (await c.query(
    'SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL ORDER BY line_number')).rows
    .map((r) => `line ${r.line_number}: ${r.error}`));
}
