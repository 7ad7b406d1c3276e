import { describe, expect, it } from 'vitest';
import {
  decidingReplicationRule, diagnose, doctorExitCode, ipBytes, ruleAdmits, type DoctorFacts, type Finding, type HbaRuleFact, type HostFacts, type PairFacts,
} from '../../domain/doctor';
import type { SegmentRow } from '../../domain/segment';
import { flavorNamed } from '../../cluster/flavor';

const row = (dbid: number, content: number, role: 'p' | 'm', hostname: string, over: Partial<SegmentRow> = {}): SegmentRow => ({
  dbid, content, role, preferredRole: role, mode: 's', status: 'u', port: role === 'p' ? 6000 : 7000, hostname, address: hostname,
  datadir: `/data/${role === 'p' ? 'primary' : 'mirror'}/gpseg${content}`, ...over,
});

const rule = (line: number, over: Partial<HbaRuleFact>): HbaRuleFact => ({
  line, type: 'host', databases: ['replication'], users: ['gpadmin'], address: '10.0.0.2', netmask: '255.255.255.255', method: 'trust', error: null, ...over,
});

const host = (hostname: string, over: Partial<HostFacts> = {}): HostFacts => ({
  hostname, executor: 'ssh', sshTarget: `gpadmin@${hostname}:22`, hostKeysVerified: true, knownHostsPath: '/home/gpadmin/.ssh/known_hosts',
  segmentHost: hostname !== 'cdw', envScript: '/usr/local/gp/greenplum_path.sh', clock: { skewSeconds: 0.2, uncertaintySeconds: 0.01 },
  ...(hostname !== 'cdw' ? { rsync: { version: '3.2.7' }, bin: '/usr/local/gp/bin', addresses: [hostname === 'sdw1' ? '10.0.0.1' : '10.0.0.2'],
    tools: [{ tool: 'pg_basebackup', needs: 'takes --target-gp-dbid', fits: true }, { tool: 'pg_rewind', needs: 'runs (--version)', fits: true }] } : {}),
  ...over,
});

/** Content 0: primary on sdw1, mirror on sdw2, pg_hba.conf admitting sdw2's address. */
const pair = (over: Partial<PairFacts> = {}): PairFacts => ({
  content: 0, primary: row(2, 0, 'p', 'sdw1'), mirror: row(4, 0, 'm', 'sdw2'), answers: true, sizeBytes: 10 * 1024 ** 3,
  hba: { rules: [rule(1, { address: 'samehost', netmask: null }), rule(2, {})] },
  slot: { active: true, activePid: 123, retainedBytes: 1024 }, walReceiver: 'streaming',
  space: { ancestor: '/data/mirror/gpseg0', freeKb: 100 * 1024 ** 2, heldKb: 10 * 1024 ** 2 },
  ...over,
});

const healthy = (over: Partial<DoctorFacts> = {}): DoctorFacts => ({
  cluster: 'prod', flavorTitle: 'Greenplum 7.1.0', differential: true, usesEra: true, replicationUser: 'gpadmin',
  coordinator: { at: 'cdw:5432', segments: 3 }, hosts: [host('cdw'), host('sdw1'), host('sdw2')], pairs: [pair()],
  era: { value: 'abc_123' }, lock: { where: 'cdw:/data/coordinator/gpseg-1/gprecoverseg.lock', fact: { state: 'free' } },
  temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'gp-recovery', workerPolling: true },
  ...over,
});

const of = (findings: Finding[], check: Finding['check'], subject?: string) => findings.filter((f) => f.check === check && (!subject || f.subject === subject));
const only = (findings: Finding[], check: Finding['check'], subject?: string) => {
  const found = of(findings, check, subject);
  expect(found, `${check} ${subject ?? ''}: ${JSON.stringify(findings)}`).toHaveLength(1);
  return found[0];
};

describe('pg_hba.conf rules as PostgreSQL applies them to a replication connection', () => {
  const client = (ip: string, user = 'gpadmin') => ({ ip, user, serverAddresses: ['10.0.0.1'] });

  it('parses IPv4 and IPv6 literals to bytes, nothing else', () => {
    expect(ipBytes('10.0.0.2')).toEqual([10, 0, 0, 2]);
    expect(ipBytes('::1')).toEqual([...Array(15).fill(0), 1]);
    expect(ipBytes('fe80::1:2')).toEqual([0xfe, 0x80, ...Array(10).fill(0), 0, 1, 0, 2]);
    expect(ipBytes('::ffff:10.0.0.2')).toEqual([...Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 2]);
    expect(ipBytes('sdw2')).toBeUndefined();
    expect(ipBytes('10.0.0.256')).toBeUndefined();
  });

  it('the first rule whose type, database, user and address match decides; reject refuses', () => {
    const rules = [rule(1, { address: '10.0.0.0', netmask: '255.255.255.0', method: 'reject' }), rule(2, {})];
    expect(decidingReplicationRule(rules, client('10.0.0.2'))?.line).toBe(1);
    expect(ruleAdmits(decidingReplicationRule(rules, client('10.0.0.2')))).toBe(false);
    expect(ruleAdmits(decidingReplicationRule(rules.slice(1), client('10.0.0.2')))).toBe(true);
    expect(decidingReplicationRule(rules.slice(1), client('10.0.0.3'))).toBeUndefined();
  });

  it("'all' in the database column does not cover replication; users must be all or the user; local lines never match", () => {
    expect(decidingReplicationRule([rule(1, { databases: ['all'] })], client('10.0.0.2'))).toBeUndefined();
    expect(decidingReplicationRule([rule(1, { users: ['other'] })], client('10.0.0.2'))).toBeUndefined();
    expect(decidingReplicationRule([rule(1, { users: ['other', 'all'] })], client('10.0.0.2'))?.line).toBe(1);
    expect(decidingReplicationRule([rule(1, { type: 'local', address: null, netmask: null })], client('10.0.0.2'))).toBeUndefined();
  });

  it('samehost is any address of the primary\'s host; a host name matches the addresses it resolves to; broken lines are skipped', () => {
    const same = [rule(1, { address: 'samehost', netmask: null })];
    expect(decidingReplicationRule(same, client('10.0.0.1'))?.line).toBe(1);
    expect(decidingReplicationRule(same, client('10.0.0.2'))).toBeUndefined();
    const named = [rule(1, { address: 'sdw2.example', netmask: null, resolved: ['10.0.0.2'] })];
    expect(decidingReplicationRule(named, client('10.0.0.2'))?.line).toBe(1);
    expect(decidingReplicationRule([rule(1, { error: 'invalid IP mask' }), rule(2, {})], client('10.0.0.2'))?.line).toBe(2);
    expect(decidingReplicationRule([rule(1, { address: 'fe80::', netmask: 'ffff:ffff::' })], client('fe80::1:2'))?.line).toBe(1);
  });
});

describe('gprecover doctor: facts to findings', () => {
  it('a healthy cluster: every check ok, nothing blocks, exit 0', () => {
    const findings = diagnose(healthy());
    expect(findings.filter((f) => f.severity !== 'ok')).toEqual([]);
    expect(doctorExitCode(findings)).toBe(0);
    expect([...new Set(findings.map((f) => f.check))].sort()).toEqual(
      ['clock', 'coordinator', 'environment', 'era', 'lock', 'pg_hba', 'primary', 'rsync', 'slot', 'space', 'ssh', 'temporal', 'tools', 'worker']);
    expect(only(findings, 'pg_hba').found).toBe('pg_hba.conf admits replication connections of gpadmin from sdw2, where its mirror dbid 4 runs (10.0.0.2)');
    expect(findings.every((f) => f.todo === undefined)).toBe(true);
  });

  it('SSH: an unknown host key, a refused login and an unreachable host block; an unverified key warns; local is ok', () => {
    const findings = diagnose(healthy({ hosts: [
      host('cdw', { executor: 'local' }),
      host('sdw1', { failure: { kind: 'host key', message: 'host key verification failed for sdw1: no entry' } }),
      host('sdw2', { failure: { kind: 'login', message: 'SSH login refused' } }),
      host('sdw3', { failure: { kind: 'unreachable', message: 'timed out' } }),
      host('sdw4', { hostKeysVerified: false }),
    ] }));
    expect(only(findings, 'ssh', 'host cdw')).toMatchObject({ severity: 'ok', found: 'configured local: its commands run on this machine, no SSH' });
    expect(only(findings, 'ssh', 'host sdw1')).toMatchObject({ severity: 'blocks', found: 'host key verification failed for sdw1: no entry', todo: expect.stringContaining('/home/gpadmin/.ssh/known_hosts') });
    expect(only(findings, 'ssh', 'host sdw2')).toMatchObject({ severity: 'blocks', todo: expect.stringContaining('authorized_keys of gpadmin@sdw2:22') });
    expect(only(findings, 'ssh', 'host sdw3').severity).toBe('blocks');
    expect(only(findings, 'ssh', 'host sdw4')).toMatchObject({ severity: 'warns', found: expect.stringContaining('strictHostKeyChecking: false') });
    // Nothing else is said of a host no command reached.
    expect(findings.filter((f) => f.host === 'sdw1' && f.check !== 'ssh' && f.check !== 'primary' && f.check !== 'pg_hba' && f.check !== 'slot')).toEqual([]);
    expect(doctorExitCode(findings)).toBe(1);
    expect(findings.slice(0, 3).map((f) => f.severity)).toEqual(['blocks', 'blocks', 'blocks']);
  });

  it('a failing environment script and tools of another kind block; an old or missing rsync warns', () => {
    const findings = diagnose(healthy({ hosts: [
      host('cdw'),
      host('sdw1', { failure: { kind: 'environment script', message: 'sourcing failed' } }),
      host('sdw2', { rsync: { version: '3.0.9' }, tools: [{ tool: 'pg_basebackup', needs: 'takes --target-gp-dbid', fits: false, output: "exit 1: unrecognized option '--target-gp-dbid=1'" }] }),
      host('sdw3', { rsync: { version: '' } }),
    ] }));
    expect(only(findings, 'environment', 'host sdw1').severity).toBe('blocks');
    // The login worked: only what came after it failed.
    expect(only(findings, 'ssh', 'host sdw1').severity).toBe('ok');
    expect(only(findings, 'tools', 'host sdw2')).toMatchObject({ severity: 'blocks', found: "/usr/local/gp/bin/pg_basebackup does not: takes --target-gp-dbid (exit 1: unrecognized option '--target-gp-dbid=1')",
      todo: expect.stringContaining('(Greenplum 7.1.0)') });
    expect(only(findings, 'rsync', 'host sdw2')).toMatchObject({ severity: 'warns', found: expect.stringMatching(/^rsync 3\.0\.9 on its PATH: --differential is refused/) });
    expect(only(findings, 'rsync', 'host sdw3').found).toMatch(/^no rsync on its PATH/);
    expect(of(findings, 'rsync', 'host cdw')).toEqual([]);
  });

  it('clocks: skew beyond 5 s (past the round trip\'s uncertainty) warns', () => {
    const findings = diagnose(healthy({ hosts: [host('sdw1', { clock: { skewSeconds: -7.5, uncertaintySeconds: 0.1 } }), host('sdw2', { clock: { skewSeconds: 5.5, uncertaintySeconds: 1 } })] }));
    expect(only(findings, 'clock', 'host sdw1')).toMatchObject({ severity: 'warns', found: 'clock 7.5 s behind this machine (±0.1 s), more than 5 s' });
    expect(only(findings, 'clock', 'host sdw2').severity).toBe('ok');
  });

  it('a primary that does not answer blocks; its mirror\'s other pair checks are not guessed', () => {
    const findings = diagnose(healthy({ pairs: [pair({ answers: false, answerError: 'ECONNREFUSED', hba: undefined, slot: undefined, sizeBytes: undefined })] }));
    expect(only(findings, 'primary')).toMatchObject({ severity: 'blocks', found: 'acting primary of content 0 does not answer at sdw1:6000: ECONNREFUSED' });
    expect([...of(findings, 'pg_hba'), ...of(findings, 'slot'), ...of(findings, 'space')]).toEqual([]);
  });

  it("pg_hba.conf: the mirror host's addresses not admitted warns with the entries to add; lines the server cannot load block", () => {
    const hosts = [host('sdw1'), host('sdw2', { addresses: ['10.0.0.2', '10.0.1.2'] })];
    const missing = diagnose(healthy({ hosts, pairs: [pair()] }));
    expect(only(missing, 'pg_hba')).toMatchObject({ severity: 'warns', found: expect.stringMatching(/does not admit .* from sdw2, where its mirror dbid 4 runs, from 10\.0\.1\.2$/),
      todo: expect.stringContaining("'host replication gpadmin 10.0.1.2/32 trust'") });
    const broken = diagnose(healthy({ pairs: [pair({ hba: { rules: [rule(7, { error: 'invalid IP mask "sdw2/32"' })] } })] }));
    expect(only(broken, 'pg_hba')).toMatchObject({ severity: 'blocks', found: expect.stringContaining('line 7: invalid IP mask "sdw2/32"') });
    const unread = diagnose(healthy({ pairs: [pair({ hba: { error: 'permission denied for view pg_hba_file_rules' } })] }));
    expect(only(unread, 'pg_hba').severity).toBe('warns');
  });

  it('the replication slot: lost WAL, an inactive slot of an up mirror, a down mirror\'s slot still held warn; none to create is fine', () => {
    const slot = (over: Partial<PairFacts>) => only(diagnose(healthy({ pairs: [pair(over)] })), 'slot');
    expect(slot({ slot: { active: false, activePid: null, walStatus: 'lost', retainedBytes: null } })).toMatchObject({ severity: 'warns', todo: expect.stringContaining('-F') });
    expect(slot({ slot: { active: false, activePid: null, retainedBytes: 5 * 1024 ** 2 }, walReceiver: null })).toMatchObject({ severity: 'warns', found: expect.stringContaining('not streaming (walreceiver not connected)') });
    const down = { mirror: row(4, 0, 'm', 'sdw2', { status: 'd', mode: 'n' }) };
    expect(slot({ ...down, slot: { active: true, activePid: 99, retainedBytes: 0 } })).toMatchObject({ severity: 'warns', found: expect.stringContaining('walsender pid 99') });
    expect(slot({ ...down, slot: null }).severity).toBe('ok');
    expect(slot({ slot: null }).severity).toBe('warns');
    expect(slot({ slotError: 'permission denied' }).severity).toBe('warns');
  });

  it("free space at the mirror: below the primary's size warns, below it even over the mirror's own files blocks", () => {
    const space = (freeGb: number, heldGb?: number) => only(diagnose(healthy({ pairs: [pair({ space: { ancestor: '/data', freeKb: freeGb * 1024 ** 2, ...(heldGb !== undefined ? { heldKb: heldGb * 1024 ** 2 } : {}) } })] })), 'space');
    expect(space(10).severity).toBe('ok');
    expect(space(4, 8)).toMatchObject({ severity: 'warns', subject: 'dbid 4 (content 0)', found: '4.0 GB free at sdw2:/data, its primary dbid 2 holds 10.0 GB: a full copy fits only over the mirror\'s own files (8.0 GB), a move onto this filesystem does not' });
    expect(space(4).severity).toBe('warns');
    expect(space(0, 1)).toMatchObject({ severity: 'blocks', found: expect.stringContaining('a full copy cannot fit') });
  });

  it("gprecoverseg's lock: stale warns; held by gprecoverseg or a running gprecover run blocks; an ended run's warns", () => {
    const lock = (fact: NonNullable<DoctorFacts['lock']>['fact']) => only(diagnose(healthy({ lock: { where: 'cdw:/d/gprecoverseg.lock', fact } })), 'lock');
    expect(lock({ state: 'stale', pid: '999999' })).toMatchObject({ severity: 'warns', found: 'cdw:/d/gprecoverseg.lock is a stale gprecoverseg lock (pid 999999 is not running)' });
    expect(lock({ state: 'held', pid: 42, cmdline: 'python3 gprecoverseg -a' })).toMatchObject({ severity: 'blocks', found: expect.stringMatching(/^gprecoverseg \(pid 42: python3 gprecoverseg -a\) is recovering cluster 'prod'/) });
    expect(lock({ state: 'held', pid: 42, cmdline: 'sh', run: 'gprecover-prod/r1', runState: 'running' }).severity).toBe('blocks');
    expect(lock({ state: 'held', pid: 42, cmdline: 'sh', run: 'gprecover-prod/r1', runState: 'ended' }).severity).toBe('warns');
    expect(lock({ state: 'held', pid: 42, cmdline: 'sh', run: 'gprecover-prod/r1' }).severity).toBe('warns');
  });

  it('gp_era: missing warns, and is not looked at for plain PostgreSQL tools', () => {
    expect(only(diagnose(healthy({ era: { value: 'None' } })), 'era').severity).toBe('warns');
    expect(of(diagnose(healthy({ usesEra: false, era: undefined })), 'era')).toEqual([]);
  });

  it('Temporal unreachable, or no worker on the task queue, blocks', () => {
    const down = diagnose(healthy({ temporal: { address: 'localhost:1', namespace: 'default', taskQueue: 'q', error: 'cannot reach Temporal at localhost:1' } }));
    expect(only(down, 'temporal')).toMatchObject({ severity: 'blocks', subject: 'Temporal localhost:1' });
    expect(of(down, 'worker')).toEqual([]);
    const idle = diagnose(healthy({ temporal: { address: 'x:7233', namespace: 'default', taskQueue: 'q', workerPolling: false } }));
    expect(only(idle, 'worker')).toMatchObject({ severity: 'blocks', subject: 'task queue q', todo: expect.stringContaining('bin/gprecover worker') });
    expect(doctorExitCode(idle)).toBe(1);
  });

  it('a coordinator that does not answer blocks, and nothing about the hosts is invented', () => {
    const findings = diagnose(healthy({ coordinator: { at: 'cdw:5432', error: 'ECONNREFUSED' }, hosts: [], pairs: [], era: undefined, lock: undefined }));
    expect(findings.map((f) => [f.severity, f.check])).toEqual([['blocks', 'coordinator'], ['ok', 'temporal'], ['ok', 'worker']]);
  });
});

describe("each flavour's read-only tool checks", () => {
  it("Greenplum and Cloudberry ask pg_basebackup whether it takes --target-gp-dbid (no -D: it stops before connecting); plain tools only run", () => {
    for (const name of ['gp7', 'cloudberry'] as const) {
      const [basebackup, ...rest] = flavorNamed(name).toolChecks('/gp/bin');
      expect(basebackup.command.argv).toEqual(['/gp/bin/pg_basebackup', '--target-gp-dbid=1']);
      expect(basebackup.fits(1, 'pg_basebackup: error: no target directory specified\nTry "pg_basebackup --help" for more information.')).toBe(true);
      expect(basebackup.fits(1, "pg_basebackup: unrecognized option '--target-gp-dbid=1'")).toBe(false);
      expect(basebackup.fits(127, 'exec: pg_basebackup: not found')).toBe(false);
      expect(rest.map((c) => c.command.argv)).toEqual([['/gp/bin/pg_rewind', '--version'], ['/gp/bin/pg_ctl', '--version']]);
    }
    const plain = flavorNamed('postgres').toolChecks('/pg');
    expect(plain.map((c) => c.command.argv.join(' '))).toEqual(['/pg/pg_basebackup --version', '/pg/pg_rewind --version', '/pg/pg_ctl --version']);
    expect(plain[0].fits(0, 'pg_basebackup (PostgreSQL) 15.8')).toBe(true);
  });
});
