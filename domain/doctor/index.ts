export type { DoctorFacts, HbaRuleFact, HostFacts, HostFailureKind, LockFact, PairFacts, SlotFact, SpaceFact, TemporalFacts, ToolFact } from './facts';
export { CLOCK_SKEW_WARN_SECONDS, diagnose, doctorExitCode, type DoctorCheck, type Finding, type Severity } from './judge';
export { decidingReplicationRule, hbaCidr, ipBytes, ruleAdmits, type ReplicationClient } from './hba';
