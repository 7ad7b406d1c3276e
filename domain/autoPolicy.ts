// Auto-recovery: the policy a schedule's automatic runs follow, what they decide, and what a notification hook gets.
// Plain shapes and defaults: the workflow bundle imports this file, so it holds no validation library (the CLI
// validates a policy file with zod in client/autoPolicyFile.ts).
import { DEFAULT_REPLAY_LAG_GB } from './options';
import type { RecoveryType } from './recovery';

/** Escalation order: an automatic run after a failed one of a type uses the next type the policy allows. */
export const AUTO_RECOVERY_TYPES: readonly RecoveryType[] = ['incremental', 'differential', 'full'];

export interface QuietHours {
  /** 'HH:MM', 24-hour clock: no automatic run starts from this time ... */
  from: string;
  /** ... until this time (exclusive); from > to spans midnight (22:00 to 06:00). */
  to: string;
  /** IANA time zone of both times ('Europe/Berlin'); `auto enable` fills in its own machine's zone. Default UTC. */
  timeZone?: string;
}

/** A notification hook's name: the worker's clusters file defines it (notifyHooks), a policy only names it. */
export const HOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface AutoPolicy {
  /** Recovery types that may start without a person: the first allowed is used, the next after a failed run. */
  types: RecoveryType[];
  /** How long every segment to recover must have been down (since FTS marked it so), in minutes; fractions allowed. */
  downForMinutes: number;
  /** Automatic runs started in any 24 hours, at most. */
  maxRunsPerDay: number;
  quietHours?: QuietHours;
  /** Look at gprecoverseg's lock first and skip (and notify) while someone holds it. */
  skipWhileLocked: boolean;
  /** Rebalance after a recovery (gprecoverseg -r), and on its own when pairs are left out of their preferred roles. */
  rebalance: boolean;
  /** With rebalance: a mirror this many GB or more behind in replay holds the rebalance back (gprecoverseg --replay-lag). */
  replayLagGB: number;
  /** The notification hook (of the worker's clusters file) that hears of the decisions a DBA must know of. */
  notify?: string;
  /** A person approves (gprecover approve) before a recovery of these types starts; none: nothing waits. */
  approval?: ApprovalPolicy;
}

export interface ApprovalPolicy {
  /** The recovery types that wait for an approval (default: full, the one that copies over a segment's data). */
  types: RecoveryType[];
  /** How long a check waits for it; then it skips, notified, and the next period asks again. */
  expiresAfterMinutes: number;
}

export const DEFAULT_APPROVAL: Readonly<ApprovalPolicy> = { types: ['full'], expiresAfterMinutes: 60 };

/** Whether a decided recovery of this type waits for a person's approval under the policy. */
export const needsApproval = (policy: AutoPolicy, type: RecoveryType): boolean => !!policy.approval?.types.includes(type);

export const DEFAULT_AUTO_POLICY: Readonly<AutoPolicy> = {
  types: ['incremental'],
  downForMinutes: 5,
  maxRunsPerDay: 6,
  skipWhileLocked: true,
  rebalance: false,
  replayLagGB: DEFAULT_REPLAY_LAG_GB,
};

export const DEFAULT_NOTIFY_TIMEOUT_SECONDS = 30;

/** Bounds a policy is held to, wherever it comes from (the CLI's policy file, input typed into the Web UI). */
export const POLICY_LIMITS = {
  maxDownForMinutes: 7 * 24 * 60,
  maxRunsPerDay: 1000,
  minNotifyTimeoutSeconds: 1,
  maxNotifyTimeoutSeconds: 300,
  minApprovalMinutes: 1,
  maxApprovalMinutes: 24 * 60,
} as const;

/** 'HH:MM' on a 24-hour clock, 00:00 to 23:59. */
export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The policy with every default filled in: what the schedule carries, so the Web UI shows all of it. */
const withoutUndefinedFields = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** A policy as a file or the Web UI gives it: any field may be left out, an approval's too. */
export type AutoPolicyInput = Partial<Omit<AutoPolicy, 'approval'>> & { approval?: Partial<ApprovalPolicy> };

export function withPolicyDefaults(p: AutoPolicyInput = {}): AutoPolicy {
  const out: AutoPolicy = { ...DEFAULT_AUTO_POLICY, types: [...DEFAULT_AUTO_POLICY.types] };
  for (const [k, v] of Object.entries(p)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  // Escalation follows AUTO_RECOVERY_TYPES, whatever order the file lists them in.
  out.types = AUTO_RECOVERY_TYPES.filter((t) => out.types.includes(t));
  if (p.approval) out.approval = { ...DEFAULT_APPROVAL, types: [...DEFAULT_APPROVAL.types], ...withoutUndefinedFields(p.approval) };
  return out;
}

/** Input of autoRecoveryWorkflow: what the schedule starts it with (plain JSON, shown in the Web UI). */
export interface AutoRecoveryInput {
  cluster: string;
  /** Missing fields take DEFAULT_AUTO_POLICY (and an approval's, DEFAULT_APPROVAL). */
  policy?: AutoPolicyInput;
}

/** The schedule of a cluster's automatic runs; its workflows' ids start with it too. */
export const autoScheduleId = (cluster: string): string => `gprecover-auto-${cluster}`;

/** `requestedBy` of a run a schedule started, as `gprecover history` shows who started it. */
export const SCHEDULE_REQUESTER_PREFIX = 'schedule:';

/**
 * Why a decision is what it is. Actionable ones are notified: a person must do something (a double fault has no
 * copy left to recover from, a lock holder must finish or be cleared, a type the policy forbids is needed ...).
 */
export type AutoReasonCode =
  | 'recover' | 'rebalance'
  | 'nothing-to-do' | 'not-synchronized' | 'waiting-for-fts' | 'run-in-progress' | 'down-too-short' | 'quiet-hours'
  | 'double-fault' | 'lock-held' | 'replay-lag' | 'max-runs' | 'no-allowed-type' | 'check-failed'
  | 'awaiting-approval' | 'approval-expired' | 'approval-stale';

export type AutoDecision =
  | { action: 'recover'; type: RecoveryType; contents: number[]; dbids: number[]; reason: string }
  /** Nothing is down; pairs are up, in sync and out of their preferred roles: a recovery run with only its -r part. */
  | { action: 'rebalance'; contents: number[]; reason: string }
  | { action: 'skip'; code: AutoReasonCode; reason: string; actionable: boolean; contents: number[] };

/** What AutoDecision search attribute a run carries. */
export type AutoDecisionName = 'started' | 'skipped' | 'failed' | 'awaiting-approval';

/** What autoRecoveryWorkflow returns: its decision, and the recovery it started. */
export interface AutoRecoveryResult {
  decision: AutoDecisionName;
  code: AutoReasonCode;
  reason: string;
  actionable: boolean;
  /** The notification hook took the summary of this decision. */
  notified: boolean;
  recovery?: { workflowId: string; runId: string; type: string; outcome: string; error?: string };
}

/** The JSON a notification hook receives. */
export interface AutoNotification {
  event: 'started' | 'ended' | 'skipped' | 'approval-needed';
  cluster: string;
  /** When the event happened (workflow time), ISO 8601. */
  time: string;
  /** The schedule (`schedule:gprecover-auto-demo`), or `auto:<workflow id>` for an automatic run started by hand. */
  requestedBy: string;
  /** The automatic run that decided. */
  autoRun: { workflowId: string; runId: string };
  code: AutoReasonCode;
  reason: string;
  actionable: boolean;
  /** started / ended: the recovery type, or 'rebalance'. */
  type?: string;
  contents: number[];
  dbids?: number[];
  /** started / ended: the recovery run (workflow id gprecover-<cluster>). */
  recovery?: { workflowId: string; runId: string };
  /** ended: succeeded, failed, invalid (refused) or cancelled. */
  outcome?: string;
  /** ended: the root cause of a run that did not succeed. */
  error?: string;
  /** approval-needed: the command that approves, and until when it may. */
  approve?: { command: string; until: string };
  /** started: who approved it, when the policy asked for an approval. */
  approvedBy?: string;
}

/** Who approved an automatic recovery (gprecover approve, or the approve update from the Web UI). */
export interface ApprovalRequest {
  requestedBy?: string;
}

export interface ApprovalRecord {
  at: string;
  by: string;
}

/** One automatic run that started a recovery, as visibility records it. */
export interface AutoRunRecord {
  workflowId: string;
  runId: string;
  startTime: string;
  /** incremental, differential, full or rebalance. */
  type?: string;
  /** The recovery's outcome; undefined while it runs. */
  outcome?: string;
  contents: number[];
}

/** What the decision needs beyond the catalog and the policy; gathered by activities. */
export interface AutoFacts {
  /** dbid -> when FTS last marked it down (ISO 8601), null when gp_configuration_history does not say. */
  downSince: Record<number, string | null>;
  /** The acting primaries of contents with a segment down: whether each answers as a primary. */
  sources: Array<{ dbid: number; answers: boolean; error?: string }>;
  /** A recovery or rebalance of the cluster running now (workflow id gprecover-<cluster>). */
  runInProgress?: { workflowId: string; runId: string; startTime: string };
  /** gprecoverseg's lock: held by a live process (gprecoverseg, or another program), with who holds it. */
  lock?: { held: boolean; by?: string };
  /** Automatic runs that started a recovery within the last 24 hours, newest first. */
  recentRuns: AutoRunRecord[];
  /** content -> bytes its mirror has not replayed (rebalance candidates only); null when unknown. */
  replayLagBytes?: Record<number, number | null>;
}

/** The memo of an automatic run: why it decided what it did, for `history --auto`, `auto status` and the Web UI. */
export interface AutoRunMemo {
  /** Who started the automatic run: `schedule:gprecover-auto-<cluster>`, or `auto:<workflow id>` when started by hand. */
  requestedBy?: string;
  reason?: string;
  code?: AutoReasonCode;
  actionable?: boolean;
  /** code and contents: a skip is notified again only when this changes from one decision to the next. */
  key?: string;
  /** The recovery it started. */
  recovery?: { workflowId: string; runId: string };
  /** Who approved it, when the policy asked for an approval. */
  approvedBy?: string;
  /** Root cause of a recovery that did not succeed, or of a check that failed. */
  error?: string;
}

/** The previous decision of a cluster's automatic runs, for notifying a repeated skip only once. */
export interface PreviousDecision {
  workflowId: string;
  runId: string;
  decision?: string;
  key?: string;
}
