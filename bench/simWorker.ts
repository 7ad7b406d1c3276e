// SIMULATION worker process: the real workflows (prebuilt bundle) with simActivities, in a process of its own so its
// memory and CPU can be read from /proc without the benchmark driver's own.
import { NativeConnection, Worker } from '@temporalio/worker';
import { copyEndInterceptor } from '../activities/copyEndInterceptor';
import { simActivities } from './simActivities';

async function main() {
  const env = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set`);
    return v;
  };
  const connection = await NativeConnection.connect({ address: env('SIM_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: env('SIM_NAMESPACE'),
    taskQueue: env('SIM_TASK_QUEUE'),
    workflowBundle: { codePath: env('SIM_BUNDLE') },
    activities: simActivities({ sleepMs: Number(env('SIM_SLEEP_MS')), perHost: Number(env('SIM_PER_HOST')), secPerTb: Number(process.env.SIM_SEC_PER_TB ?? 0) }),
    // The run learns of a copy's end from the copy step, as on the real worker (activities/interceptors.ts); the
    // simulated steps do not beat or fail, so the other interceptors would add nothing but their cost.
    interceptors: { activity: [copyEndInterceptor] },
    // As worker/createWorker.ts sets it for the real worker.
    maxConcurrentActivityTaskExecutions: 200,
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  process.stdout.write('sim worker polling\n');
  await running;
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
