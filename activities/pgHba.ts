import { log } from '@temporalio/activity';
import type { TrustHostsInput, TrustHostsOutcome } from '../domain/activities';
import { GprecoverError } from '../domain/failures';
import { planRefusal } from '../domain/planGuards';
import type { RecoveryActivities } from '../domain/activities';
import type { ClusterContext } from '../cluster/context';
import { ExecutorUnavailableError } from '../cluster/exec/executor';
import { canonicalHostName, hostAddresses } from '../cluster/hostAddresses';
import { hbaEntries, withHbaEntries } from '../cluster/pgHba';
import { hbaLoadErrors, readHbaFile, reloadHba, writeHbaFile } from '../cluster/segment/hbaFile';
import { endWalSenders } from '../cluster/segment/walsenders';
import type { SegmentPlan } from '../domain/recovery';
import type { ActivityContext } from './context';
import { reportProgress } from './progress';
import { PROBE_CONCURRENCY } from './cluster';
import { mapLimited } from '../cluster/limit';

type Addresses = (host: SegmentPlan['target']) => Promise<string[]>;

/** What one source primary gets: the mirror host's addresses (or name) for all and replication, its own for replication. */
async function entriesFor(addressesOf: Addresses, user: string, item: SegmentPlan, hostnames: boolean): Promise<string[]> {
  if (hostnames) {
    const [mirror, primary] = await Promise.all([canonicalHostName(item.target.hostname), canonicalHostName(item.source.hostname)]);
    return hbaEntries({ user, mirror: [mirror], primary: primary === mirror ? [] : [primary] });
  }
  const sameHost = item.target.hostname === item.source.hostname;
  const [mirror, primary] = await Promise.all([addressesOf(item.target), sameHost ? [] : addressesOf(item.source)]);
  return hbaEntries({ user, mirror, primary });
}

/** Each host's addresses asked once per call, however many of its segments need them. */
function addressesOnce(ctx: ClusterContext): Addresses {
  const asked = new Map<string, Promise<string[]>>();
  return (host) => {
    let p = asked.get(host.hostname);
    if (!p) asked.set(host.hostname, (p = hostAddresses(ctx, host)));
    return p;
  };
}

export function createPgHbaActivities(actx: ActivityContext) {
  return {
    /**
     * Before the copies (gprecoverseg's update_pg_hba_on_segments): each source primary's pg_hba.conf trusts every
     * address of the host its mirror is rebuilt on, as that host's own interfaces list them (or its canonical name with
     * --hba-hostnames), with its mode kept and stale replication lines dropped (Greenplum 7), then `pg_ctl reload`
     * and the source's old walsenders ended. A file the server would not load (pg_hba_file_rules shows an error) is
     * put back as it was and that segment refused, never left to stop the primary at its next start. A primary whose
     * host cannot be reached is left as gprecoverseg leaves it, with its warning.
     */
    async trustRecoveryHosts(input: TrustHostsInput): Promise<TrustHostsOutcome> {
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      const user = ctx.cfg.replicationUser ?? ctx.cfg.osUser ?? ctx.cfg.coordinator.user;
      const out: TrustHostsOutcome = { changed: [], refused: [] };
      const unreachable = new Set<string>();
      const addressesOf = addressesOnce(ctx);
      let done = 0;
      let failure: { error: unknown } | undefined;
      type ItemOutcome = { changed?: number; refused?: { dbid: number; reason: string } };
      // Each source primary has its own pg_hba.conf: hosts are done at once, a few files per host at a time, as the
      // probe is (a run of 334 segments waited for each file in turn). Every item runs to its end before a failure
      // is thrown, so that no write, reload or putting back is still going on when the attempt is over and retried.
      // Results keep the plan's order.
      const turns = new Map<number, Promise<unknown>>();
      const outcomes = await mapLimited(input.items, async (item): Promise<ItemOutcome> => {
        // Two segments of one source (never in one plan today) would read and write the same file: they take turns.
        const mine = (turns.get(item.source.dbid) ?? Promise.resolve()).catch(() => undefined).then(() => trustOne(item));
        turns.set(item.source.dbid, mine);
        try {
          return await mine;
        } catch (error) {
          failure ??= { error };
          return {};
        } finally {
          reportProgress({ phase: `pg_hba.conf of the source primaries: ${++done} of ${input.items.length} done` });
        }
      }, { total: PROBE_CONCURRENCY.total, perKey: PROBE_CONCURRENCY.perHost, key: (item) => item.source.hostname });
      if (failure) throw failure.error;
      for (const o of outcomes) {
        if (o.changed !== undefined) out.changed.push(o.changed);
        if (o.refused) out.refused.push(o.refused);
      }

      async function trustOne(item: SegmentPlan): Promise<ItemOutcome> {
        const refusal = planRefusal('before', item, segments);
        if (refusal) return { refused: { dbid: item.dbid, reason: refusal } };
        if (unreachable.has(item.source.hostname) || unreachable.has(item.target.hostname)) return {};
        try {
          // Both only read, each on its own host: asked at once.
          const reading = readHbaFile(ctx, item.source);
          reading.catch(() => undefined);
          const entries = await entriesFor(addressesOf, user, item, !!input.hostnames);
          const file = await reading;
          const next = withHbaEntries(file.text, entries, ctx.flavor.removesStaleReplicationEntries);
          if (next === undefined) {
            // The entries are there, maybe from an attempt that died between its write and its check: a file the
            // server cannot load would stop the primary at its next start, and is not this run's to put back.
            const errors = await hbaLoadErrors(ctx, item.source).catch((err: Error) => {
              log.warn(`dbid ${item.source.dbid}: pg_hba.conf not checked with pg_hba_file_rules: ${err.message}`);
              return [];
            });
            if (!errors.length) return {};
            return { refused: { dbid: item.dbid, reason: `pg_hba.conf of dbid ${item.source.dbid} on ${item.source.hostname} has gprecoverseg's entries but lines PostgreSQL would not load (${errors.join('; ')}); fix the file and recover again` } };
          }
          await writeHbaFile(ctx, item.source, next);
          const errors = await reloadHba(ctx, item.source);
          if (errors.length) {
            // What PostgreSQL would not load stays on no disk: the file goes back, and the server reloads it.
            await writeHbaFile(ctx, item.source, file.text);
            await reloadHba(ctx, item.source);
            return { refused: { dbid: item.dbid, reason: `pg_hba.conf of dbid ${item.source.dbid} on ${item.source.hostname} would not load with gprecoverseg's entries (${errors.join('; ')}); the previous file is back in place` } };
          }
          log.info(`dbid ${item.source.dbid}: pg_hba.conf has gprecoverseg's ${entries.length} entries for dbid ${item.dbid}'s copy; reloaded`);
          return { changed: item.source.dbid };
        } catch (err) {
          if (err instanceof ExecutorUnavailableError) {
            // The host the error names: a target whose addresses cannot be read is as unreachable as a source.
            unreachable.add([item.source.hostname, item.target.hostname].find((h) => err.waitingFor === `host ${h}`) ?? item.source.hostname);
            return {};
          }
          if (!(err instanceof GprecoverError)) throw err;
          // This segment's entries cannot be made (a host that lists no address, a name that does not resolve).
          return { refused: { dbid: item.dbid, reason: err.message } };
        }
      }
      // kill_existing_walsenders_on_primary: over libpq, so it reaches a primary whose host's sshd does not answer.
      await Promise.all(input.items.filter((i) => !out.refused.some((r) => r.dbid === i.dbid)).map(async (item) => {
        const ended = await endWalSenders(ctx, item.source).catch((err: Error) => {
          log.warn(`dbid ${item.source.dbid}: old walsenders not ended: ${err.message}`);
          return 0;
        });
        if (ended) log.info(`dbid ${item.source.dbid}: ended ${ended} old walsender(s)`);
      }));
      if (unreachable.size) {
        out.warning = `Not updating pg_hba.conf for segments on unreachable hosts: ${[...unreachable].sort().join(', ')}. You can manually update pg_hba.conf for these segments and retry if recovery fails`;
        log.warn(out.warning);
      }
      return out;
    },
  } satisfies Pick<RecoveryActivities, 'trustRecoveryHosts'>;
}
