import { log } from '@temporalio/activity';
import { withCoordinator } from '../cluster/catalog';
import { applyRecoveryCatalogUpdate, backOutRecoveryCatalogUpdate, type RecoveryCatalogChange } from '../cluster/catalogUpdate';
import type { SegmentRow } from '../domain/segment';
import type { ActivityContext } from './context';

export function createCatalogActivities(actx: ActivityContext) {
  return {
    /** gprecoverseg step 7, in one transaction, with its gp_configuration_history row. */
    async updateCatalog(input: { cluster: string; change: RecoveryCatalogChange }) {
      const ctx = await actx.cluster(input.cluster);
      const out = await withCoordinator(ctx.cfg, (c) => applyRecoveryCatalogUpdate(c, input.change));
      log.info(`dbid ${input.change.dbid}: catalog ${out.rewritten ? 're-added at its target (gp_remove_segment_mirror + gp_add_segment)' : 'marked mode n'}`);
      return out;
    },

    /** A failed or cancelled copy of a move: the row goes back to where the segment was. */
    async backOutCatalog(input: { cluster: string; before: SegmentRow; runTag: string; reason: string }): Promise<boolean> {
      const ctx = await actx.cluster(input.cluster);
      const moved = await withCoordinator(ctx.cfg, (c) => backOutRecoveryCatalogUpdate(c, input.before, input.runTag, input.reason));
      log.info(`dbid ${input.before.dbid}: ${moved ? 'catalog backed out to its old location' : 'nothing to back out'} (${input.reason.slice(0, 120)})`);
      return moved;
    },
  };
}
