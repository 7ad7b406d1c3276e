import { log } from '@temporalio/activity';
import type { BackOutInput, CatalogStepInput, RecoveryActivities } from '../domain/activities';
import { readSegments, withCoordinator } from '../cluster/catalog';
import { applyRecoveryCatalogUpdate, backOutRecoveryCatalogUpdate } from '../cluster/catalogUpdate';
import { assertPlanAllows } from '../cluster/segment/guard';
import type { ActivityContext } from './context';

export function createCatalogActivities(actx: ActivityContext) {
  return {
    /** gprecoverseg step 7, in one transaction, with its gp_configuration_history row; only for a row as planned. */
    async updateCatalog(input: CatalogStepInput) {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      const out = await withCoordinator(ctx.cfg, async (c) => {
        assertPlanAllows('catalog', item, await readSegments(c));
        return applyRecoveryCatalogUpdate(c, { dbid: item.dbid, content: item.content, type: item.type, target: item.target, moved: item.moved, runTag: input.runTag });
      });
      log.info(`dbid ${item.dbid}: catalog ${out.rewritten ? 're-added at its target (gp_remove_segment_mirror + gp_add_segment)' : 'marked mode n'}`);
      return out;
    },

    /** A failed or cancelled copy of a move: the row goes back to where the segment was. */
    async backOutCatalog(input: BackOutInput): Promise<boolean> {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      const moved = await withCoordinator(ctx.cfg, async (c) => {
        assertPlanAllows('catalog', item, await readSegments(c));
        return backOutRecoveryCatalogUpdate(c, item.failed, input.runTag, input.reason);
      });
      log.info(`dbid ${item.dbid}: ${moved ? 'catalog backed out to its old location' : 'nothing to back out'} (${input.reason.slice(0, 120)})`);
      return moved;
    },
  } satisfies Pick<RecoveryActivities, 'updateCatalog' | 'backOutCatalog'>;
}
