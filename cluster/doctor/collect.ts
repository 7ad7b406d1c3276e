import os from 'node:os';
import path from 'node:path';
import type { DoctorFacts, HostFacts, LockFact, PairFacts, SpaceFact } from '../../domain/doctor';
import { errorMessage } from '../../domain/failures';
import type { SegmentRow } from '../../domain/segment';
import { readSegments, withCoordinator } from '../catalog';
import type { ClusterConfig } from '../config';
import { ClusterContext } from '../context';
import { readEra } from '../era';
import { hostAddresses } from '../hostAddresses';
import { mapLimited } from '../limit';
import { acquireLock, lockPath } from '../lock';
import { measureClock } from './clock';
import { mirrorSpace } from './mirrorSpace';
import { primaryFacts } from './primary';
import { reachHost } from './reachHost';
import { checkTools } from './tools';

/** Everything but Temporal, which the client asks itself. */
export type ClusterDoctorFacts = Omit<DoctorFacts, 'temporal'>;

/** Hosts looked at in parallel (gprecoverseg's -B default), and primaries asked at once. */
const HOSTS_AT_ONCE = 16;
const PRIMARIES_AT_ONCE = 32;

interface HostPass {
  host: HostFacts;
  space: Map<number, SpaceFact | { error: string }>;
}

/** How the clusters file says the host is reached (SSH: its login and known_hosts), before anything is tried. */
function howReached(ctx: ClusterContext, row: SegmentRow): Pick<HostFacts, 'executor' | 'sshTarget' | 'hostKeysVerified' | 'knownHostsPath'> {
  const executor = ctx.pool.kindOf(row.hostname);
  if (executor === 'local') return { executor };
  const ssh = ctx.pool.sshSettings(row.hostname);
  return {
    executor,
    sshTarget: `${ssh.username}@${ctx.pool.addressOf(row.hostname, row.address)}:${ssh.port ?? 22}`,
    hostKeysVerified: ssh.strictHostKeyChecking ?? true,
    knownHostsPath: ssh.knownHostsPath ?? path.join(os.homedir(), '.ssh', 'known_hosts'),
  };
}

/** One host, one step after another: the first command proves the way there; nothing else is tried on a host it failed on. */
async function passHost(ctx: ClusterContext, row: SegmentRow, rows: SegmentRow[]): Promise<HostPass> {
  const exec = ctx.host(row);
  const segmentHost = rows.some((r) => r.hostname === row.hostname && r.content >= 0);
  const base: HostFacts = { hostname: row.hostname, segmentHost, ...howReached(ctx, row) };
  const space = new Map<number, SpaceFact | { error: string }>();
  const reach = await reachHost(exec, { gpHome: ctx.cfg.gpHome, rsync: segmentHost && ctx.flavor.differential });
  if (reach.failure) return { host: { ...base, failure: reach.failure }, space };
  const host: HostFacts = { ...base, ...reach, clock: await measureClock(exec) };
  if (segmentHost) {
    host.bin = ctx.bin;
    host.tools = await checkTools(exec, ctx.flavor, ctx.bin);
    host.addresses = await hostAddresses(ctx, row).catch((err: unknown) => ({ error: errorMessage(err) }));
    for (const m of rows.filter((r) => r.hostname === row.hostname && r.content >= 0 && r.role === 'm')) space.set(m.dbid, await mirrorSpace(exec, m.datadir));
  }
  return { host, space };
}

async function lockFact(ctx: ClusterContext, coordinator: SegmentRow): Promise<LockFact> {
  try {
    // The look a recovery takes before it takes the lock, and nothing more (cluster/lock.ts, check only).
    const st = await acquireLock(ctx.host(coordinator), lockPath(coordinator.datadir), '', { checkOnly: true });
    if (st.state === 'stale') return { state: 'stale', pid: st.pid };
    if (st.state === 'held') return { state: 'held', pid: st.pid, cmdline: st.cmdline, ...(st.gprecoverOwner ? { run: decodeURIComponent(st.gprecoverOwner) } : {}) };
    if (st.state === 'ours') return { state: 'held', pid: st.pid, cmdline: '' };
    return { state: 'free' };
  } catch (err) {
    return { state: 'unknown', error: errorMessage(err) };
  }
}

/**
 * Gathers what a recovery will need, from the catalog and the clusters file alone, reading only: every host the
 * recovery reaches (the coordinator's and the segment hosts), every acting primary, the mirrors' filesystems, the
 * coordinator's era and gprecoverseg's lock. A coordinator that does not answer is a fact, not an error.
 */
export async function collectDoctorFacts(cfg: ClusterConfig): Promise<ClusterDoctorFacts> {
  const at = `${cfg.coordinator.host}:${cfg.coordinator.port}`;
  const replicationUser = cfg.replicationUser ?? cfg.osUser ?? cfg.coordinator.user;
  const nothing = { cluster: cfg.name, differential: false, usesEra: false, replicationUser, hosts: [], pairs: [] };
  let ctx: ClusterContext;
  let rows: SegmentRow[];
  try {
    ctx = await ClusterContext.resolve(cfg);
  } catch (err) {
    return { ...nothing, coordinator: { at, error: errorMessage(err) } };
  }
  try {
    try {
      rows = await withCoordinator(cfg, readSegments);
    } catch (err) {
      return { ...nothing, flavorTitle: ctx.summary.title, coordinator: { at, error: errorMessage(err) } };
    }
    const coordinator = rows.find((r) => r.content === -1 && r.role === 'p');
    const hostRows = [...new Map([...(coordinator ? [coordinator] : []), ...rows.filter((r) => r.content >= 0)].map((r) => [r.hostname, r])).values()];
    const contents = [...new Set(rows.filter((r) => r.content >= 0).map((r) => r.content))].sort((a, b) => a - b);
    const primaries = contents.map((content) => rows.find((r) => r.content === content && r.role === 'p')).filter((r): r is SegmentRow => !!r);
    const [passes, asked] = await Promise.all([
      mapLimited(hostRows, (r) => passHost(ctx, r, rows), { total: HOSTS_AT_ONCE }),
      mapLimited(primaries, (p) => primaryFacts(ctx, p), { total: PRIMARIES_AT_ONCE }),
    ]);
    const space = new Map(passes.flatMap((p) => [...p.space]));
    const pairs: PairFacts[] = primaries.map((p, i) => {
      const mirror = rows.find((r) => r.content === p.content && r.role === 'm');
      return { content: p.content, primary: p, ...(mirror ? { mirror } : {}), ...asked[i], ...(mirror && space.has(mirror.dbid) ? { space: space.get(mirror.dbid) } : {}) };
    });
    const coordinatorHost = passes.find((p) => p.host.hostname === coordinator?.hostname)?.host;
    const reachable = coordinator && coordinatorHost && !coordinatorHost.failure;
    const [era, lock] = reachable
      ? await Promise.all([
          ctx.flavor.startsWithEra ? readEra(ctx, rows).then((value) => ({ value }), (err: unknown) => ({ error: errorMessage(err) })) : undefined,
          lockFact(ctx, coordinator),
        ])
      : [undefined, undefined];
    return {
      cluster: cfg.name,
      flavorTitle: ctx.summary.title,
      differential: ctx.flavor.differential,
      usesEra: ctx.flavor.startsWithEra,
      replicationUser,
      coordinator: { at, segments: rows.length },
      hosts: passes.map((p) => p.host),
      pairs,
      ...(era ? { era } : {}),
      ...(lock && coordinator ? { lock: { where: `${coordinator.hostname}:${lockPath(coordinator.datadir)}`, fact: lock } } : {}),
    };
  } finally {
    await ctx.close();
  }
}
