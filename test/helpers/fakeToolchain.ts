// The activities around the copies (gprecoverseg.lock, pg_hba.conf, recovery_progress.file, the old directory of a
// move, rebalance's guards) faked for runs without a cluster: the stubbed runs, the fast workflow tests and the
// bench's simulation.
import { heartbeat, sleep } from '@temporalio/activity';
import type { Activities } from '../../activities';

type ToolchainActivities = Pick<Activities,
  'replayLagBytes' | 'stopPrimaryForRebalance' | 'acquireRecoveryLock' | 'releaseRecoveryLock' | 'trustRecoveryHosts'
  | 'writeRecoveryProgress' | 'removeOldLocation' | 'waitForPromotion'>;

/**
 * `progress`: 'runs' keeps writeRecoveryProgress running beside the copies until the workflow cancels it, as the real
 * one does; 'returns' ends it at once, for the time-skipping server, whose clock a running activity would hold.
 */
export function fakeToolchainActivities(progress: 'runs' | 'returns'): ToolchainActivities {
  return {
    async replayLagBytes() {
      return 0;
    },
    async stopPrimaryForRebalance() {
      return { wasRunning: true };
    },
    async acquireRecoveryLock() {
      return { where: 'cdw:/data/coordinator/gpseg-1/gprecoverseg.lock', held: true };
    },
    async releaseRecoveryLock() {
      return true;
    },
    async trustRecoveryHosts() {
      return { changed: [] };
    },
    async writeRecoveryProgress() {
      if (progress === 'returns') return;
      for (;;) {
        heartbeat();
        await sleep(1000);
      }
    },
    async removeOldLocation() {
      return { removed: [], kept: [] };
    },
    async waitForPromotion() {},
  };
}
