// The /proc sampler of bench/toolSampler.ts in a process of its own: started with the path part and the interval,
// it says 'ready' once sampling, and answers 'stop' with the span it saw, then exits.
import { sampleToolHere } from './toolSampler';

const [pathPart, everyMs] = process.argv.slice(2);
const sampler = sampleToolHere(pathPart, Number(everyMs));
process.on('message', (m) => {
  if (m !== 'stop') return;
  process.send?.({ span: sampler.stop() ?? null }, () => process.exit(0));
});
// The bench is gone: so is its sampler.
process.on('disconnect', () => process.exit(0));
process.send?.('ready');
