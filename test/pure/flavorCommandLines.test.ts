import { describe, expect, it } from 'vitest';
import { commandArgv, detectFlavor, flavorNamed, UnsupportedClusterError } from '../../cluster/flavor';
import { readClustersFile } from '../../cluster/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const source = { address: 'sdw1', port: 6000 };
const gp7 = flavorNamed('gp7');
const cloudberry = flavorNamed('cloudberry');
const plain = flavorNamed('postgres');

describe('the command lines of gpsegrecovery, per flavour', () => {
  it('full recovery: GP7 and Cloudberry pg_basebackup with --target-gp-dbid, --force-overwrite and the excludes', () => {
    const spec = { bin: '/gp/bin', targetDir: '/data/mirror/gpseg0', targetDbid: 6, source, createSlot: true };
    expect(commandArgv(gp7.fullCopy(spec)).join(' ')).toBe('/gp/bin/pg_basebackup -c fast -D /data/mirror/gpseg0 -h sdw1 -p 6000 --create-slot '
      + '--slot internal_wal_replication_slot --wal-method stream --no-verify-checksums --force-overwrite --write-recovery-conf '
      + '-E ./db_dumps -E ./promote -E ./db_analyze --target-gp-dbid 6 --progress --verbose');
    expect(commandArgv(cloudberry.fullCopy({ ...spec, createSlot: false, maxRate: '100M' })).join(' ')).toBe('/gp/bin/pg_basebackup -c fast -D /data/mirror/gpseg0 '
      + '-h sdw1 -p 6000 --slot internal_wal_replication_slot --wal-method stream --no-verify-checksums --force-overwrite --write-recovery-conf '
      + '--target-gp-dbid 6 -E ./db_dumps -E ./promote --progress --verbose --max-rate 100M');
    // Plain PostgreSQL tools get no Greenplum flag.
    const p = commandArgv(plain.fullCopy(spec)).join(' ');
    expect(p).not.toMatch(/target-gp-dbid|force-overwrite|-E |gp_role/);
  });

  it('incremental recovery: pg_rewind in utility mode, under the application name gpstate looks for', () => {
    const cmd = gp7.rewind({ bin: '/gp/bin', targetDir: '/data/m0', source });
    expect(cmd).toEqual({
      argv: ['/gp/bin/pg_rewind', '--write-recovery-conf', '--slot=internal_wal_replication_slot',
        '--source-server=host=sdw1 port=6000 dbname=template1 application_name=__gprecoverseg_pg_rewind__', '--target-pgdata=/data/m0', '--progress'],
      env: { PGOPTIONS: '-c gp_role=utility' },
    });
    expect(plain.rewind({ bin: '/pg', targetDir: '/d', source }).env).toBeUndefined();
  });

  it('differential recovery writes identity and recovery settings with --write-conf-files-only (GP7 only)', () => {
    expect(commandArgv(gp7.writeConfFiles({ bin: '/gp/bin', targetDir: '/d', targetDbid: 6, source })!).join(' ')).toBe(
      '/gp/bin/pg_basebackup -c fast -D /d -h sdw1 -p 6000 --write-conf-files-only --slot internal_wal_replication_slot --wal-method stream '
      + '--target-gp-dbid 6 --progress --verbose');
    expect([gp7.differential, cloudberry.differential]).toEqual([true, false]);
    expect(gp7.differentialExcludes).toEqual(expect.arrayContaining(['/log', 'pg_replslot/*', 'tablespace_map', 'pg_tblspc/*', '/db_dumps', '/promote']));
  });

  it('starting a segment: GP7 sets the port in postgresql.conf, Cloudberry passes it to pg_ctl', () => {
    const spec = { bin: '/gp/bin', datadir: '/d', port: 7000, era: 'abc_20261125' };
    expect(commandArgv(gp7.start(spec))).toEqual(['env', 'GPSESSID=0000000000', 'GPERA=abc_20261125', '/gp/bin/pg_ctl', '-D', '/d',
      '-l', '/d/log/startup.log', '-w', '-t', '600', '-o', ' -c gp_role=execute ', 'start']);
    expect(gp7.setPort('/d', 7000)?.argv).toEqual(['perl', '-p', '-i.bak', '-e', 's/^port[ ]*=[ ]*\\d+/port=7000/', '/d/postgresql.conf']);
    expect(commandArgv(cloudberry.start(spec))).toContain(' -p 7000 -c gp_role=execute ');
    expect(cloudberry.setPort('/d', 7000)).toBeUndefined();
  });

  it('tablespaces: each segment its own <location>/<dbid>', () => {
    expect(gp7.tablespaceLocation('/ts/fast/2', 2, 6)).toBe('/ts/fast/6');
    expect(() => gp7.tablespaceLocation('/ts/fast', 2, 6)).toThrow(/not in Greenplum's <location>\/<dbid> layout/);
    expect(plain.tablespaceLocation('/ts/fast', 2, 6)).toBe('/ts/fast');
  });
});

describe('flavour detection from version()', () => {
  it('knows Greenplum 7 and Cloudberry, takes any other PostgreSQL for plain tools, and refuses Greenplum 6 in one sentence', () => {
    expect(detectFlavor('PostgreSQL 12.12 (Greenplum Database 7.1.0 build commit:e7c2b1f) on x86_64-pc-linux-gnu, compiled by gcc, 64-bit compiled on Jan 19 2024 06:49:54'))
      .toEqual({ name: 'gp7', title: 'Greenplum 7.1.0' });
    expect(detectFlavor('PostgreSQL 14.4 (Apache Cloudberry 2.0.0 build 1) on x86_64-pc-linux-gnu, compiled by gcc, 64-bit compiled on Jun 1 2025'))
      .toEqual({ name: 'cloudberry', title: 'Apache Cloudberry 2.0.0' });
    expect(detectFlavor('PostgreSQL 14.4 (Cloudberry Database 1.6.0 build 1) on x86_64-pc-linux-gnu').name).toBe('cloudberry');
    expect(detectFlavor('PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu').name).toBe('postgres');
    const gp6 = () => detectFlavor('PostgreSQL 9.4.26 (Greenplum Database 6.25.3 build commit:367edc6) on x86_64-unknown-linux-gnu', 'prod');
    expect(gp6).toThrow(UnsupportedClusterError);
    expect(gp6).toThrow(/^cluster 'prod' runs Greenplum 6\.25\.3, which gprecover does not support \(gprecover speaks Greenplum 7 and Apache Cloudberry\); use that release's own gprecoverseg$/);
  });
});

describe('clusters.json validation', () => {
  const load = (clusters: unknown) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-cfg-')), 'clusters.json');
    fs.writeFileSync(file, JSON.stringify({ clusters }));
    return () => readClustersFile(file);
  };
  const ok = { coordinator: { host: 'cdw', port: 5432, user: 'gpadmin', database: 'postgres' }, gpHome: '/usr/local/greenplum-db' };

  it('names the field of every problem, on one line', () => {
    expect(load({ prod: { ...ok, copyMaxRate: 'fast' } })).toThrow(/clusters\.prod\.copyMaxRate: must be like 32k or 100M \(32 kB\/s to 1024 MB\/s\), not "fast"/);
    expect(load({ prod: { ...ok, coordinator: { ...ok.coordinator, port: 'x' } } })).toThrow(/clusters\.prod\.coordinator\.port: .*not "x"/);
    expect(load({ prod: { ...ok, segmentConnectOptions: '-c gp_role=utility' } })).toThrow(/clusters\.prod: unknown field segmentConnectOptions/);
    expect(load({ prod: { coordinator: ok.coordinator } })).toThrow(/clusters\.prod: needs gpHome \(the installation\) or pgBin/);
    expect(load({ prod: { ...ok, flavor: 'gp6' } })).toThrow(/clusters\.prod\.flavor: /);
    expect(() => load({ prod: { ...ok, copyMaxRate: 'fast' }, qa: { ...ok, gpHome: 'relative' } })()).toThrow(/^[^\n]+$/);
    expect(load({ prod: ok })().clusters.prod).toMatchObject({ name: 'prod', gpHome: '/usr/local/greenplum-db' });
  });
});
