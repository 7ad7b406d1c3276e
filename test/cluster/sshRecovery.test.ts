import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { readClustersFile, saveClusterConfig } from '../../cluster/config';
import type { DemoCluster } from '../../demo';
import { recoveryWorkflow } from '../../workflows';
import type { RecoveryInput } from '../../domain/recovery';
import { byDbid, createTestCluster, killAndWaitDown, expectMirrorsIdentical, healthy } from '../helpers/demo';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-ssh';

// Host sdw2 of the demo cluster is reached only through a real OpenSSH server on its loopback address.
describe('recovery of segments on a host reached over SSH', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let dir: string;
  let sshd: TestSshd;
  let h: TemporalHarness;
  let w: RunningWorker;
  let seq = 0;
  let spare: string;

  const recover = (input: Omit<RecoveryInput, 'cluster'>, name = cluster.name) =>
    h.client.workflow.execute(recoveryWorkflow, { taskQueue: TASK_QUEUE, workflowId: `ssh-${++seq}-${Date.now()}`, args: [{ cluster: name, ...input }] });

  beforeAll(async () => {
    ({ cluster, clustersFile, dir } = await createTestCluster('ssh', '127.0.111'));
    sshd = await startSshd({ address: '127.0.111.3' });
    // sdw3 is a spare host for -p; it shares this machine's disk, so recovered segments listen on their catalog address.
    spare = await cluster.addSpareHost('sdw3');
    const cfg = readClustersFile(clustersFile).clusters[cluster.name];
    saveClusterConfig({
      ...cfg, listenOnCatalogAddress: true,
      hosts: { ...cfg.hosts, sdw2: { address: '127.0.111.3', executor: 'ssh', ssh: sshd.sshConfig() } },
    }, clustersFile);
    // The same cluster, but with a known_hosts file that has never seen sdw2's key.
    const strangers = path.join(dir, 'empty_known_hosts');
    fs.writeFileSync(strangers, '');
    saveClusterConfig({ ...cfg, name: 'ssh-unknown-key', hosts: { ...cfg.hosts, sdw2: { address: '127.0.111.3', executor: 'ssh', ssh: { ...sshd.sshConfig(), knownHostsPath: strangers } } } }, clustersFile);
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    await cluster.loadData(5000);
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await sshd?.stop();
    await cluster?.destroy();
  });

  it('incremental recovery of a mirror on the SSH host', async () => {
    await killAndWaitDown(cluster, 6);
    const logins = sshd.acceptedLogins();
    await cluster.loadData(1000);
    const res = await recover({});
    expect(res.segments.map((s) => [s.dbid, s.target.hostname, s.state])).toEqual([[6, 'sdw2', 'succeeded']]);
    expect(sshd.acceptedLogins(), 'the worker reached sdw2 through sshd').toBeGreaterThan(logins);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('full recovery (pg_basebackup as a detached job over SSH) of a mirror on the SSH host', async () => {
    await killAndWaitDown(cluster, 7);
    const res = await recover({ full: true });
    expect(res.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[7, 'full', 'succeeded']]);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('refuses a host whose key is not in known_hosts, with a clear reason and nothing changed', async () => {
    await killAndWaitDown(cluster, 6);
    const before = JSON.stringify(await cluster.segments());
    const err = await recover({}, 'ssh-unknown-key').catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(/^host key verification failed for sdw2 \(\S+@127\.0\.111\.3:\d+\): no entry for .* in \S+empty_known_hosts; it offered the .* key SHA256:/);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidRequest' });
    expect(JSON.stringify(await cluster.segments())).toBe(before);
    const res = await recover({});
    expect(res.succeeded).toBe(1);
  });

  it('-p replaces a host that cannot be reached any more with a spare host', async () => {
    await killAndWaitDown(cluster, 6);
    const old = byDbid(await cluster.segments(), 6);
    // sdw2 is gone as far as the worker can tell; the worker's key and known_hosts stay where its config says.
    await sshd.stop({ keepFiles: true });
    fs.rmSync(old.datadir, { recursive: true, force: true }); // the spare starts empty
    const res = await recover({ spareHosts: ['sdw3'] });
    expect(res.segments.map((s) => [s.dbid, s.type, s.moved, s.target.hostname, s.state])).toEqual([[6, 'full', true, 'sdw3', 'succeeded']]);
    expect(byDbid(await cluster.segments(), 6)).toMatchObject({ hostname: 'sdw3', address: spare, port: old.port, status: 'u', mode: 's' });
    await expectMirrorsIdentical(cluster);
  });
});
