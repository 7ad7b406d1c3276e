import os from 'node:os';
import type { ClusterConfig, HostConfig, SshConfig } from '../config';
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

  /** Where the host is reached: the configured address, else the catalog's address column, else its name. */
  addressOf(hostname: string, address?: string): string {
    return this.hostConfig(hostname).address ?? address ?? hostname;
  }

  /** `address` is the catalog's address column; config may override it per hostname. */
  forHost(hostname: string, address?: string): Executor {
    const existing = this.executors.get(hostname);
    if (existing) return existing;
    const target = this.addressOf(hostname, address);
    const kind = this.kindOf(hostname);
    const base: Executor = kind === 'ssh' ? this.sshExecutor(hostname, target) : new LocalExecutor(hostname, this.cluster.osUser);
    const exec = new RecordingExecutor(this.cluster.gpHome ? new EnvScriptExecutor(base, this.cluster.gpHome) : base);
    this.executors.set(hostname, exec);
    return exec;
  }

  /** Host settings override defaultSsh field by field; the login user is the cluster's OS user unless set. */
  sshSettings(hostname: string): SshConfig & { username: string } {
    const ssh = { ...this.cluster.defaultSsh, ...this.hostConfig(hostname).ssh };
    return { ...ssh, username: ssh.username ?? this.cluster.osUser ?? os.userInfo().username };
  }

  private sshExecutor(hostname: string, address: string): SshExecutor {
    return new SshExecutor(hostname, { ...this.sshSettings(hostname), address });
  }

  async closeAll(): Promise<void> {
    const all = [...this.executors.values()];
    this.executors.clear();
    await Promise.all(all.map((e) => e.close().catch(() => undefined)));
  }
}
