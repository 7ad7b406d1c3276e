import { DemoCluster, defaultRootDir } from './index';

/**
 * For `gprecover dev`: the default cluster 'demo', created when absent and started when stopped. stop() stops it
 * (keeping its data) only when this call started it; a cluster already running belongs to whoever started it.
 */
export async function ensureDemoRunning(): Promise<{ summary: string; stop: () => Promise<void> }> {
  const root = defaultRootDir('demo');
  const began = Date.now();
  let cluster: DemoCluster;
  let how: string;
  let startedHere = true;
  if (!DemoCluster.exists(root)) {
    cluster = await DemoCluster.create({ name: 'demo', rootDir: root });
    how = 'created';
  } else {
    cluster = DemoCluster.open(root);
    if (await cluster.isRunning()) {
      how = 'already running';
      startedHere = false;
    } else {
      const report = await cluster.start();
      how = `started${report.leftDown.length ? ` (dbids ${report.leftDown.join(', ')} are down in the catalog)` : ''}`;
    }
  }
  const secs = ((Date.now() - began) / 1000).toFixed(1);
  const c = cluster.config().coordinator;
  const contents = cluster.layout.segments.length / 2;
  const summary = `demo cluster         '${cluster.name}' ${how} in ${secs} s: coordinator ${c.host}:${c.port}, ${contents} contents with mirrors, data in ${cluster.rootDir}`;
  return {
    summary,
    stop: async () => {
      if (startedHere) await cluster.stop();
    },
  };
}
