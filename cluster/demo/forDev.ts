// Filled in by the demo cluster work (issue 3): bring the demo cluster up or restart it for `gprecover dev`.
export async function ensureDemoRunning(): Promise<{ summary: string; stop: () => Promise<void> }> {
  throw new Error('the demo cluster is not implemented yet; run gprecover dev --no-demo');
}
