// Every change to what a workflow does (its commands: activities, timers, children, markers, their order) goes behind
// one of these, so that a run started by an older build takes the path it took when a newer worker replays it
// (docs/upgrades.md). A patch is deprecated (deprecatePatch) once no run started before it can still be in flight,
// then removed a release later; the recorded histories of test/replay/ say which releases are still replayed.
export const PATCHES = {
  /** 0.2.0: a full in-place recovery keeps the failed segment's evidence before it wipes and copies over it. */
  evidenceBeforeWipe: 'evidence-before-wipe',
  /** 0.2.0: while copies run, the run's ETA is kept in its memo and the RecoveryEta search attribute. */
  etaInVisibility: 'eta-in-visibility',
  /** 0.2.0: segments take free -B/-b slots largest source first, not in catalog order. */
  largestFirst: 'largest-first',
  /** 0.3.0: a segment's short steps (admit, stop, verify 'd', catalog, evidence, start) run as local activities. */
  shortStepsLocal: 'short-steps-local',
  /** 0.3.0: a segment's -B/-b slot frees when its copy ends (its child signals; since 0.5.0 its copy step), not when it is in sync. */
  slotAtCopyEnd: 'slot-at-copy-end',
  /** 0.4.0: a big full or differential segment runs its steps before the copy while it waits for a slot (startedAhead). */
  copySlotAhead: 'copy-slot-ahead',
  /**
   * 0.5.0: a copy step that told the run its copy is over (CopyOutcome.runTold) is not followed by the child's own
   * copyEnded. Asked only when the outcome says so: a worker of 0.4.0 that ran the child's next task sent the signal
   * whatever the outcome said, recorded no marker, and a worker of 0.5.0 replaying it sends it too.
   */
  copyStepTellsRun: 'copy-step-tells-run',
  /**
   * 0.6.0: a full recovery's wipe runs its safety checks as a short step (a local activity), and an activity task
   * only where the flavour's copy tool needs the directory emptied (plain PostgreSQL), which may take hours. A child
   * that has it asks no older patch (shortStepsLocal, copySlotAhead, copyStepTellsRun): it implies them all.
   */
  wipeChecksLocal: 'wipe-checks-local',
} as const;
