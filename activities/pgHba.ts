import { log } from '@temporalio/activity';
import { ExecutorUnavailableError, runChecked } from '../cluster/exec/executor';
import { hbaEntries, withHbaEntries } from '../cluster/pgHba';
import { writeFileOn } from '../cluster/segment/copy';
import type { SegmentPlan } from '../domain/recovery';
import type { ActivityContext } from './context';
import { beating } from './heartbeat';

export function createPgHbaActivities(actx: ActivityContext) {
  return {
    /**
     * Before the copies: each source primary's pg_hba.conf trusts the host its mirror is rebuilt on (gprecoverseg's
     * entries, added once, through a temporary file), then `pg_ctl reload`. A primary whose host cannot be reached
     * is left as gprecoverseg leaves it, with its warning: its copy fails on pg_hba.conf if it needed the entries.
     */
    async trustRecoveryHosts(input: { cluster: string; items: SegmentPlan[]; hostnames?: boolean }): Promise<{ changed: number[]; warning?: string }> {
      const ctx = await actx.cluster(input.cluster);
      const user = ctx.cfg.replicationUser ?? ctx.cfg.osUser ?? ctx.cfg.coordinator.user;
      return beating(async () => {
        const changed: number[] = [];
        const unreachable = new Set<string>();
        for (const item of input.items) {
          const exec = ctx.host(item.source);
          const file = `${item.source.datadir}/pg_hba.conf`;
          let current: string;
          try {
            current = (await runChecked(exec, ['cat', file], { timeoutMs: 30_000 })).stdout;
          } catch (err) {
            if (!(err instanceof ExecutorUnavailableError)) throw err;
            unreachable.add(item.source.hostname);
            continue;
          }
          const next = withHbaEntries(current, hbaEntries({ user, mirror: item.target, primary: item.source, hostnames: input.hostnames }));
          if (next === undefined) continue;
          await writeFileOn(exec, file, next);
          await runChecked(exec, [`${ctx.bin}/pg_ctl`, 'reload', '-D', item.source.datadir], { timeoutMs: 60_000 });
          changed.push(item.source.dbid);
          log.info(`dbid ${item.source.dbid}: pg_hba.conf now trusts ${input.hostnames ? item.target.hostname : item.target.address} for dbid ${item.dbid}'s copy; reloaded`);
        }
        if (!unreachable.size) return { changed };
        const warning = `Not updating pg_hba.conf for segments on unreachable hosts: ${[...unreachable].join(', ')}. You can manually update pg_hba.conf for these segments and retry if recovery fails`;
        log.warn(warning);
        return { changed, warning };
      });
    },
  };
}
