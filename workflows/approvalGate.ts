import { condition, log, setHandler } from '@temporalio/workflow';
import type { ApprovalRecord, ApprovalRequest } from '../domain/autoPolicy';
import { UNKNOWN_REQUESTER } from '../domain/liveControls';
import { approveUpdate } from './messages';

/**
 * An automatic check's gate before a recovery its policy holds back: open while it waits (`gprecover approve RUN`
 * or the Web UI's update sends the approval), shut before and after, when the validator refuses in one line.
 */
export function approvalGate() {
  let waiting = false;
  let approved: ApprovalRecord | undefined;
  setHandler(approveUpdate, (request: ApprovalRequest) => {
    approved = { at: new Date().toISOString(), by: request?.requestedBy || UNKNOWN_REQUESTER };
    log.info(`approved by ${approved.by}`);
    return approved;
  }, {
    validator: (request: ApprovalRequest) => {
      if (!waiting) throw new Error(approved ? `approved already by ${approved.by}` : 'this check is not waiting for an approval');
      if (request?.requestedBy !== undefined && (typeof request.requestedBy !== 'string' || request.requestedBy.length > 200 || /[\r\n]/.test(request.requestedBy))) {
        throw new Error('requestedBy must be one line of at most 200 characters');
      }
    },
  });
  return {
    /** From now on an approval is taken. */
    open(): void {
      waiting = true;
    },
    /** The approval, or undefined once the deadline (epoch ms, workflow time) has passed without one. */
    async wait(untilMs: number): Promise<ApprovalRecord | undefined> {
      waiting = true;
      try {
        await condition(() => approved !== undefined, Math.max(1, untilMs - Date.now()));
      } finally {
        waiting = false;
      }
      return approved;
    },
  };
}
