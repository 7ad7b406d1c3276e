// rebalanceSegments.py's replay-lag guard, for the rebalance and for the automatic check that would start one.
import { GiB } from '../units';

/** A mirror with this much WAL left to replay would be promoted only after replaying it; unknown (null) does not hold it back. */
export const overReplayLag = (lagBytes: number | null, limitGB: number): boolean => lagBytes !== null && lagBytes >= limitGB * GiB;
