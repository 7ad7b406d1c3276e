// gprecover doctor's judgement: facts in, findings out, one rule per check, each finding with what to do. Pure, so
// every rule is unit-tested (test/pure/doctorJudgement.test.ts); the gathering is in cluster/doctor/.
import { decideHeldLock } from '../lockPolicy';
import { MIN_RSYNC_VERSION, versionBelow } from '../plan';
import { GiB } from '../units';
import type { DoctorFacts, HostFacts, PairFacts, TemporalFacts } from './facts';
import { decidingReplicationRule, hbaCidr, ruleAdmits } from './hba';

/** blocks: a recovery cannot run (or cannot recover that part); warns: it runs, something may bite; ok: as it should be. */
export type Severity = 'blocks' | 'warns' | 'ok';

export type DoctorCheck =
  | 'coordinator' | 'ssh' | 'environment' | 'tools' | 'rsync' | 'clock' | 'era' | 'primary' | 'pg_hba' | 'slot' | 'space'
  | 'lock' | 'temporal' | 'worker';

export interface Finding {
  severity: Severity;
  check: DoctorCheck;
  /** 'host sdw2', 'dbid 2 (content 0)', 'cluster demo', 'task queue gp-recovery'. */
  subject: string;
  host?: string;
  dbid?: number;
  found: string;
  /** What to do about it; none when it is ok. */
  todo?: string;
}

/** Clocks further apart than this get a warning: logs, FTS history and Temporal's timestamps stop lining up. */
export const CLOCK_SKEW_WARN_SECONDS = 5;

const gb = (bytes: number) => `${(bytes / GiB).toFixed(1)} GB`;
const hostSubject = (h: { hostname: string }) => `host ${h.hostname}`;
const dbidSubject = (s: { dbid: number; content: number }) => `dbid ${s.dbid} (content ${s.content})`;

function reach(h: HostFacts): Finding[] {
  const base = { check: 'ssh' as const, subject: hostSubject(h), host: h.hostname };
  const f = h.failure;
  if (f?.kind === 'host key') {
    return [{ ...base, severity: 'blocks', found: f.message,
      todo: `compare that fingerprint with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub there) before changing ${h.knownHostsPath ?? 'known_hosts'}: gprecover never accepts a key it cannot verify` }];
  }
  if (f?.kind === 'login') {
    return [{ ...base, severity: 'blocks', found: f.message, todo: `add the worker's public key to the authorized_keys of ${h.sshTarget ?? 'the login user'}` }];
  }
  if (f?.kind === 'unreachable') {
    return [{ ...base, severity: 'blocks', found: f.message,
      todo: 'bring the host back (or its sshd); a recovery skips the in-place recovery of its segments and cannot move segments onto it' }];
  }
  if (h.executor === 'local') return [{ ...base, severity: 'ok', found: 'configured local: its commands run on this machine, no SSH' }];
  if (h.hostKeysVerified === false) {
    return [{ ...base, severity: 'warns', found: `reached over SSH as ${h.sshTarget}, but its host key is not verified (strictHostKeyChecking: false)`,
      todo: `set strictHostKeyChecking to true (the default) with a known_hosts file that has this host's key` }];
  }
  return [{ ...base, severity: 'ok', found: `reached over SSH as ${h.sshTarget}, host key verified against ${h.knownHostsPath}` }];
}

function environment(h: HostFacts): Finding[] {
  const base = { check: 'environment' as const, subject: hostSubject(h), host: h.hostname };
  if (h.failure?.kind === 'environment script') {
    return [{ ...base, severity: 'blocks', found: h.failure.message,
      todo: "fix the installation's environment script on this host, or gpHome in the clusters file (every command sources it first)" }];
  }
  if (h.failure) return [];
  return [{ ...base, severity: 'ok', found: h.envScript ? `sources ${h.envScript}` : 'no gpHome configured: the tools run from pgBin without an environment script' }];
}

function tools(h: HostFacts, flavorTitle: string | undefined): Finding[] {
  if (h.failure || !h.tools) return [];
  const base = { check: 'tools' as const, subject: hostSubject(h), host: h.hostname };
  const misfits = h.tools.filter((t) => !t.fits);
  if (!misfits.length) return [{ ...base, severity: 'ok', found: `${h.tools.map((t) => `${t.tool} ${t.needs}`).join(', ')} (${h.bin})` }];
  return [{ ...base, severity: 'blocks',
    found: misfits.map((t) => `${h.bin}/${t.tool} does not: ${t.needs}${t.output ? ` (${t.output})` : ''}`).join('; '),
    todo: `point gpHome or pgBin in the clusters file at the cluster's own installation${flavorTitle ? ` (${flavorTitle})` : ''} on this host` }];
}

function rsync(h: HostFacts): Finding[] {
  if (h.failure || !h.rsync) return [];
  const base = { check: 'rsync' as const, subject: hostSubject(h), host: h.hostname };
  if ('error' in h.rsync) return [{ ...base, severity: 'warns', found: `rsync --version did not answer: ${h.rsync.error}`, todo: 'look at rsync on this host before a --differential recovery' }];
  const v = h.rsync.version;
  if (v && !versionBelow(v, MIN_RSYNC_VERSION)) return [{ ...base, severity: 'ok', found: `rsync ${v} (--differential needs ${MIN_RSYNC_VERSION})` }];
  return [{ ...base, severity: 'warns', found: `${v ? `rsync ${v}` : 'no rsync'} on its PATH: --differential is refused for segments on this host (it needs rsync ${MIN_RSYNC_VERSION} or later)`,
    todo: `install rsync ${MIN_RSYNC_VERSION} or later on this host, or recover without --differential` }];
}

function clock(h: HostFacts): Finding[] {
  if (h.failure || !h.clock) return [];
  const base = { check: 'clock' as const, subject: hostSubject(h), host: h.hostname };
  if ('error' in h.clock) return [{ ...base, severity: 'warns', found: `date +%s did not answer: ${h.clock.error}`, todo: 'check the clock of this host (NTP)' }];
  const { skewSeconds: s, uncertaintySeconds: u } = h.clock;
  const said = `${Math.abs(s).toFixed(1)} s ${s >= 0 ? 'ahead of' : 'behind'} this machine (±${u.toFixed(1)} s)`;
  if (Math.abs(s) - u > CLOCK_SKEW_WARN_SECONDS) {
    return [{ ...base, severity: 'warns', found: `clock ${said}, more than ${CLOCK_SKEW_WARN_SECONDS} s`,
      todo: 'synchronize the clocks (NTP/chrony): logs, gp_configuration_history and Temporal histories disagree otherwise' }];
  }
  return [{ ...base, severity: 'ok', found: `clock ${said}` }];
}

function primary(p: PairFacts): Finding[] {
  const base = { check: 'primary' as const, subject: dbidSubject(p.primary), host: p.primary.hostname, dbid: p.primary.dbid };
  const at = `${p.primary.address}:${p.primary.port}`;
  if (p.answers) return [{ ...base, severity: 'ok', found: `acting primary of content ${p.content} answers in utility mode at ${at}` }];
  const down = p.primary.status === 'd' ? ' and the catalog has it down (no live segment in this content: a double fault)' : '';
  return [{ ...base, severity: 'blocks', found: `acting primary of content ${p.content} does not answer at ${at}${down}: ${p.answerError ?? 'no answer'}`,
    todo: `start it (pg_ctl start -D ${p.primary.datadir} on ${p.primary.hostname}, or gpstart) or let FTS fail over to its mirror: nothing can be recovered from it` }];
}

function hostAddressesOf(facts: DoctorFacts, hostname: string): string[] | undefined {
  const a = facts.hosts.find((h) => h.hostname === hostname)?.addresses;
  return Array.isArray(a) ? a : undefined;
}

function pgHba(facts: DoctorFacts, p: PairFacts): Finding[] {
  if (!p.answers || !p.mirror || !p.hba) return [];
  const base = { check: 'pg_hba' as const, subject: dbidSubject(p.primary), host: p.primary.hostname, dbid: p.primary.dbid };
  if ('error' in p.hba) return [{ ...base, severity: 'warns', found: `pg_hba_file_rules could not be read: ${p.hba.error}`, todo: 'read pg_hba.conf of this primary by hand' }];
  const rules = p.hba.rules;
  const broken = rules.filter((r) => r.error !== null);
  if (broken.length) {
    return [{ ...base, severity: 'blocks',
      found: `pg_hba.conf in ${p.primary.datadir} has lines the server cannot load: ${broken.map((r) => `line ${r.line}: ${r.error}`).join('; ')}`,
      todo: `fix those lines and run pg_ctl reload -D ${p.primary.datadir} on ${p.primary.hostname}: the primary does not start with this file, and a recovery's pg_hba.conf update is refused` }];
  }
  const mirrorHost = p.mirror.hostname;
  const addresses = hostAddressesOf(facts, mirrorHost);
  if (!addresses) return [];
  const client = (ip: string) => ({ ip, user: facts.replicationUser, serverAddresses: hostAddressesOf(facts, p.primary.hostname) ?? [] });
  const refused = addresses.filter((ip) => !ruleAdmits(decidingReplicationRule(rules, client(ip))));
  const who = `replication connections of ${facts.replicationUser} from ${mirrorHost}, where its mirror dbid ${p.mirror.dbid} runs`;
  if (!refused.length) return [{ ...base, severity: 'ok', found: `pg_hba.conf admits ${who} (${addresses.join(', ')})` }];
  return [{ ...base, severity: 'warns', found: `pg_hba.conf does not admit ${who}, from ${refused.join(', ')}`,
    todo: `a recovery adds gprecoverseg's entries itself; until then the mirror cannot reconnect after a drop: add ${refused.map((a) => `'host replication ${facts.replicationUser} ${hbaCidr(a)} trust'`).join(', ')} and run pg_ctl reload -D ${p.primary.datadir}` }];
}

const mb = (bytes: number | null) => (bytes === null ? 'unknown' : `${Math.round(bytes / 1024 ** 2)} MB`);

function slot(p: PairFacts): Finding[] {
  if (!p.answers || !p.mirror || (p.slot === undefined && p.slotError === undefined)) return [];
  const base = { check: 'slot' as const, subject: dbidSubject(p.primary), host: p.primary.hostname, dbid: p.primary.dbid };
  const name = 'replication slot internal_wal_replication_slot';
  if (p.slotError !== undefined) return [{ ...base, severity: 'warns', found: `${name} could not be read: ${p.slotError}`, todo: 'look at pg_replication_slots on this primary' }];
  const s = p.slot;
  const mirrorUp = p.mirror.status === 'u';
  if (s === null || s === undefined) {
    return mirrorUp
      ? [{ ...base, severity: 'warns', found: `no ${name} while its mirror dbid ${p.mirror.dbid} is up: the primary may recycle WAL the mirror still needs`,
          todo: 'nothing before a recovery (a full copy creates the slot); a mirror streaming without it can fall behind for good' }]
      : [{ ...base, severity: 'ok', found: `no ${name}; a recovery of dbid ${p.mirror.dbid} creates it` }];
  }
  if (s.walStatus === 'lost') {
    return [{ ...base, severity: 'warns', found: `${name} has lost WAL its mirror dbid ${p.mirror.dbid} needs (wal_status lost)`,
      todo: `recover dbid ${p.mirror.dbid} with a full copy (gprecover start-recovery -F): streaming cannot catch it up` }];
  }
  const retained = `retains ${mb(s.retainedBytes)} of WAL`;
  if (mirrorUp && !s.active) {
    return [{ ...base, severity: 'warns', found: `${name} is inactive (${retained}) while FTS has its mirror dbid ${p.mirror.dbid} up: the mirror is not streaming (walreceiver ${p.walReceiver ?? 'not connected'})`,
      todo: 'look at the mirror\'s log: it should be streaming through this slot' }];
  }
  if (!mirrorUp && s.active) {
    return [{ ...base, severity: 'warns', found: `${name} is still held by walsender pid ${s.activePid} although its mirror dbid ${p.mirror.dbid} is down (a hung mirror's connection)`,
      todo: 'nothing: a recovery ends that walsender before it copies (or wal_sender_timeout does)' }];
  }
  return [{ ...base, severity: 'ok', found: `${name} ${s.active ? 'active' : 'inactive'}, ${retained}${s.walStatus ? ` (wal_status ${s.walStatus})` : ''}` }];
}

function space(p: PairFacts): Finding[] {
  if (!p.mirror || !p.space) return [];
  const m = p.mirror;
  const base = { check: 'space' as const, subject: dbidSubject(m), host: m.hostname, dbid: m.dbid };
  if ('error' in p.space) return [{ ...base, severity: 'warns', found: `free space at ${m.hostname}:${m.datadir} unknown: ${p.space.error}`, todo: 'check with df on that host' }];
  if (p.sizeBytes === undefined) return [];
  const { ancestor, freeKb, heldKb } = p.space;
  const free = freeKb * 1024;
  const need = p.sizeBytes;
  const where = `${m.hostname}:${ancestor}`;
  const sizes = `${gb(free)} free at ${where}, its primary dbid ${p.primary.dbid} holds ${gb(need)}`;
  if (free >= need) return [{ ...base, severity: 'ok', found: sizes }];
  if (heldKb !== undefined && free + heldKb * 1024 < need) {
    return [{ ...base, severity: 'blocks', found: `${sizes}, and the mirror's own files (${gb(heldKb * 1024)}) do not make up the difference: a full copy cannot fit`,
      todo: `free space on that filesystem, or move the mirror elsewhere (gprecover start-recovery -i with a new location)` }];
  }
  return [{ ...base, severity: 'warns', found: `${sizes}: a full copy fits only over the mirror's own files${heldKb !== undefined ? ` (${gb(heldKb * 1024)})` : ''}, a move onto this filesystem does not`,
    todo: 'free space there before a full recovery (-F) if you can' }];
}

function lock(facts: DoctorFacts): Finding[] {
  if (!facts.lock) return [];
  const { where, fact } = facts.lock;
  const base = { check: 'lock' as const, subject: `cluster ${facts.cluster}` };
  switch (fact.state) {
    case 'free':
      return [{ ...base, severity: 'ok', found: `no gprecoverseg.lock at ${where}` }];
    case 'unknown':
      return [{ ...base, severity: 'warns', found: `gprecoverseg.lock at ${where} could not be read: ${fact.error}`, todo: 'look at the coordinator host' }];
    case 'stale':
      return [{ ...base, severity: 'warns', found: `${where} is a stale gprecoverseg lock (pid ${fact.pid || 'none'} is not running)`,
        todo: 'nothing: a recovery removes it and says so (or remove that directory if no gprecoverseg runs)' }];
    case 'held': {
      const d = decideHeldLock({ where, pid: fact.pid, cmdline: fact.cmdline, run: fact.run }, facts.cluster, fact.runState ?? (fact.run ? 'unknown' : undefined), true);
      if (d.action === 'refuse') return [{ ...base, severity: 'blocks', found: d.reason, todo: 'wait for that recovery to end (gprecover state shows it)' }];
      return [{ ...base, severity: 'warns', found: d.reason, todo: d.action === 'retry' ? 'ask Temporal about that run (gprecover show)' : 'nothing: the next recovery takes it over' }];
    }
  }
}

function era(facts: DoctorFacts): Finding[] {
  if (!facts.usesEra || !facts.era) return [];
  const base = { check: 'era' as const, subject: `cluster ${facts.cluster}` };
  if ('error' in facts.era) return [{ ...base, severity: 'warns', found: `the coordinator's gp_era could not be read: ${facts.era.error}`, todo: 'look at <coordinator data directory>/log/gp_era' }];
  if (facts.era.value === 'None') {
    return [{ ...base, severity: 'warns', found: "no readable gp_era in the coordinator's data directory (log/gp_era): recovered segments start with GPERA=None, as gprecoverseg would start them",
      todo: 'gpstart writes gp_era; check the coordinator data directory in the catalog and the file\'s permissions' }];
  }
  return [{ ...base, severity: 'ok', found: `coordinator era ${facts.era.value} (GPERA of every segment a recovery starts)` }];
}

function temporal(t: TemporalFacts): Finding[] {
  if (t.error) {
    return [{ severity: 'blocks', check: 'temporal', subject: `Temporal ${t.address}`, found: t.error,
      todo: 'start the Temporal service, or set TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (and TLS) to the one the worker uses' }];
  }
  const reached: Finding = { severity: 'ok', check: 'temporal', subject: `Temporal ${t.address}`, found: `answers (namespace ${t.namespace})` };
  const subject = `task queue ${t.taskQueue}`;
  if (t.workerPolling === true) return [reached, { severity: 'ok', check: 'worker', subject, found: 'a worker polled it lately' }];
  if (t.workerPolling === false) {
    return [reached, { severity: 'blocks', check: 'worker', subject, found: 'no worker polls it: a run started now waits until one does',
      todo: "start a worker with this cluster in its clusters file: bin/gprecover worker --clusters FILE (or set GPRECOVER_TASK_QUEUE to the worker's queue)" }];
  }
  return [reached, { severity: 'warns', check: 'worker', subject, found: 'Temporal did not say whether a worker polls it', todo: 'bin/gprecover check proves one does' }];
}

const ORDER: Record<Severity, number> = { blocks: 0, warns: 1, ok: 2 };

/** Every finding for the facts: blocking ones first, then warnings, then what is fine, each group in check order. */
export function diagnose(facts: DoctorFacts): Finding[] {
  const out: Finding[] = [];
  const c = facts.coordinator;
  out.push(c.error
    ? { severity: 'blocks', check: 'coordinator', subject: `cluster ${facts.cluster}`, found: c.error,
        todo: 'start the coordinator, or fix coordinator in the clusters file: without the catalog nothing else can be checked' }
    : { severity: 'ok', check: 'coordinator', subject: `cluster ${facts.cluster}`, found: `catalog read at ${c.at}: ${c.segments} segment rows${facts.flavorTitle ? `, ${facts.flavorTitle}` : ''}` });
  for (const h of facts.hosts) out.push(...reach(h), ...environment(h), ...tools(h, facts.flavorTitle), ...rsync(h), ...clock(h));
  out.push(...era(facts), ...lock(facts));
  for (const p of facts.pairs) out.push(...primary(p), ...pgHba(facts, p), ...slot(p), ...space(p));
  out.push(...temporal(facts.temporal));
  return out.map((f, i) => ({ f, i })).sort((a, b) => ORDER[a.f.severity] - ORDER[b.f.severity] || a.i - b.i).map(({ f }) => f);
}

/** 0 when nothing blocks a recovery, 1 otherwise. */
export const doctorExitCode = (findings: Finding[]): number => (findings.some((f) => f.severity === 'blocks') ? 1 : 0);
