// The notification hook of an automatic check's policy: a summary of each decision a DBA must hear of.
import { log } from '@temporalio/workflow';
import type { AutoNotification } from '../domain/autoPolicy';
import type { CheckProfiles } from './activityProfiles';
import { withoutUndefined } from './autoRecord';
import { rootMessage } from './failures';

export type NotificationFields = Omit<AutoNotification, 'event' | 'cluster' | 'time' | 'requestedBy' | 'autoRun'>;

/** Whether the hook took the summary; without a hook, or when it fails, the check goes on (and says so in its log). */
export type Notify = (event: AutoNotification['event'], fields: NotificationFields) => Promise<boolean>;

export function autoNotifier(
  notifier: CheckProfiles['notifier'], hook: string | undefined, run: { cluster: string; requestedBy: string; autoRun: AutoNotification['autoRun'] },
): Notify {
  return async (event, fields) => {
    if (!hook) return false;
    const summary: AutoNotification = withoutUndefined({ event, cluster: run.cluster, time: new Date().toISOString(), requestedBy: run.requestedBy, autoRun: run.autoRun, ...fields });
    try {
      const out = await notifier.notify({ cluster: run.cluster, hook, summary });
      return out.delivered.length > 0;
    } catch (err) {
      log.warn(`notification of '${event}' not sent: ${rootMessage(err)}`);
      return false;
    }
  };
}
