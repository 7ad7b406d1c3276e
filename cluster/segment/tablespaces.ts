import { PermanentError } from '../../domain/failures';
import type { Endpoint } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { runChecked, type Executor } from '../exec/executor';

/** A user tablespace of a data directory: pg_tblspc/<oid> and where its link points. */
export interface TablespaceLink {
  oid: string;
  link: string;
}

const LIST = String.raw`
d=$1
[ -d "$d/pg_tblspc" ] || exit 0
for f in "$d"/pg_tblspc/*; do [ -L "$f" ] && printf '%s\t%s\n' "$(basename "$f")" "$(readlink "$f")"; done
exit 0
`;

/** The tablespace links of a data directory, read on its host: the target's own, after a copy. */
export async function tablespaceLinks(exec: Executor, datadir: string): Promise<TablespaceLink[]> {
  const res = await runChecked(exec, ['sh', '-c', LIST, 'gprecover-tblspc', datadir], { timeoutMs: 30_000 });
  return res.stdout.split('\n').filter(Boolean).map((line) => {
    const [oid, link] = line.split('\t');
    return { oid, link };
  });
}

/**
 * The source's user tablespaces and where its links point, asked over libpq in utility mode as gpsegrecovery asks
 * (SQL, not its host: a source host whose sshd is stuck must not stop its mirror's recovery). Greenplum's
 * pg_tablespace_location names the LOCATION, the link being <location>/<dbid>; plain PostgreSQL names the link.
 */
export async function sourceTablespaces(ctx: ClusterContext, source: Endpoint & { dbid: number }): Promise<TablespaceLink[]> {
  const rows = await ctx.sessionsOn(source).use(async (c) => (await c.query(
    `SELECT oid::text AS oid, pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid`)).rows);
  return rows.map((r) => ({ oid: String(r.oid), link: ctx.flavor.tablespaceLink(String(r.location), source.dbid) }));
}

/** Where each of the source's tablespaces goes for the target dbid: `<location>/<target dbid>` on Greenplum. */
export function targetTablespaces(ctx: ClusterContext, source: TablespaceLink[], sourceDbid: number, targetDbid: number): TablespaceLink[] {
  return source.map((t) => {
    try {
      return { oid: t.oid, link: ctx.flavor.tablespaceLocation(t.link, sourceDbid, targetDbid) };
    } catch (err) {
      throw new PermanentError(`tablespace ${t.oid}: ${(err as Error).message}`);
    }
  });
}

/**
 * Before pg_rewind: the target must link each tablespace to its own directory. A tablespace created while the
 * segment was down gets its link and directory now; pg_rewind would otherwise copy the source's link, which points
 * into the source's (another dbid's) directory. A link that points elsewhere cannot be rewound.
 */
export async function prepareTablespacesForRewind(exec: Executor, datadir: string, wanted: TablespaceLink[], dbid: number): Promise<void> {
  const have = new Map((await tablespaceLinks(exec, datadir)).map((t) => [t.oid, t.link]));
  for (const t of wanted) {
    const current = have.get(t.oid);
    if (current === undefined) {
      await runChecked(exec, ['sh', '-c', 'mkdir -p -m 0700 "$2" && ln -s "$2" "$1/pg_tblspc/$3"', 'gprecover-tblspc-link', datadir, t.link, t.oid]);
    } else if (current.replace(/\/+$/, '') !== t.link) {
      throw new PermanentError(
        `dbid ${dbid}: tablespace ${t.oid} in ${datadir} links to ${current}, not to its own ${t.link}; incremental recovery cannot repair that, run again with -F (full)`,
      );
    }
  }
}
