/** `braise up`: the embedded platform in one process (Temporal dev server, workers on every queue). `braise worker`: some queues only. */
import { openRuntime } from '../../infra/runtime.ts';
import type { QueueName } from '../../infra/temporal/worker.ts';
import { say } from '../io.ts';

export async function serveCommand(queues: QueueName[]): Promise<number> {
  const rt = await openRuntime({ queues, log: say });
  say(`braise: workers polling ${queues.map((q) => `braise-${q}`).join(', ')} on ${rt.temporalAddress}`);
  if (!rt.config.temporalAddress) say(`Temporal UI: ${rt.config.temporalUiUrl}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      say(`braise: ${signal}: shutting down (in-flight stages get the grace time to checkpoint)`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await rt.close();
  return 0;
}
