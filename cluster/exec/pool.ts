import os from 'node:os';
import type { ClusterConfig, HostConfig } from '../config';
import { RecordingExecutor } from './commandLog';
import { EnvScriptExecutor } from './envScript';
import type { Executor } from './executor';
import { LocalExecutor } from './local';
import { SshExecutor } from './ssh';

/** One executor per segment host of a cluster, reused for every command sent there. */
export class ExecutorPool {
  private readonly executors = new Map<string, Executor>();

  constructor(private readonly cluster: ClusterConfig) {}

  hostConfig(hostname: string): HostConfig {
    return this.cluster.hosts?.[hostname] ?? {};
  }

  /** How the worker reaches the host: only the configuration says 'local', never an address that looks like one. */
  kindOf(hostname: string): 'local' | 'ssh' {
    return this.hostConfig(hostname).executor ?? this.cluster.defaultExecutor ?? 'ssh';
  }

  /** `address` is the catalog's address column; config may override it per hostname. */
  forHost(hostname: string, address?: string): Executor {
    const existing = this.executors.get(hostname);
    if (existing) return existing;
    const hc = this.hostConfig(hostname);
    const target = hc.address ?? address ?? hostname;
    const kind = this.kindOf(hostname);
    const base: Executor = kind === 'ssh' ? this.sshExecutor(hostname, target, hc) : new LocalExecutor(hostname, this.cluster.osUser);
    const exec = new RecordingExecutor(this.cluster.gpHome ? new EnvScriptExecutor(base, this.cluster.gpHome) : base);
    this.executors.set(hostname, exec);
    return exec;
  }

  /** Host settings override defaultSsh field by field; the login user is the cluster's OS user unless set. */
  private sshExecutor(hostname: string, address: string, hc: HostConfig): SshExecutor {
    const ssh = { ...this.cluster.defaultSsh, ...hc.ssh };
    return new SshExecutor(hostname, {
      ...ssh,
      address,
      username: ssh.username ?? this.cluster.osUser ?? os.userInfo().username,
    });
  }

  async closeAll(): Promise<void> {
    const all = [...this.executors.values()];
    this.executors.clear();
    await Promise.all(all.map((e) => e.close().catch(() => undefined)));
  }
}
