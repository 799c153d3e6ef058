/**
 * `strata worker`: one more engine process for an installation on PostgreSQL. It claims work from the shared
 * queue (leases, so each step runs in one process and a killed worker's share returns to the others) and
 * reaches the simulated clusters through the simulator that `strata up` runs. It serves no API.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

/** Options of `strata worker`. */
interface WorkerOptions {
  home?: string;
  simUrl?: string;
  sim: boolean;
  concurrency?: number;
}

/** Registers `worker`; its action resolves once the worker has stopped. */
export function registerWorkerCommand(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description(
      'Run one more engine process on the shared PostgreSQL (DATABASE_URL) next to `strata up`; serves no API',
    )
    .option('--home <dir>', 'data directory holding the simulator CA (default $STRATA_HOME or ~/.strata)')
    .option(
      '--sim-url <url>',
      'the simulator `strata up` runs (default $STRATA_SIM_URL or https://127.0.0.1:$STRATA_KUBE_PORT, 7443)',
    )
    .option('--no-sim', 'work only on existing clusters (no simulated infrastructure)')
    .option(
      '--concurrency <n>',
      'steps run at once (default 64); the worker holds up to twice as many, claimed and waiting for a slot',
      (v) => Number(v),
    )
    .action(async (opts: WorkerOptions) => {
      // Loaded on demand: the engine and the store are heavy, and every other command is a thin client.
      const { startWorker } = await import('../../main/worker.ts');
      const running = await startWorker(opts);
      ctx.printer.out(
        `Strata worker is up: claiming work from PostgreSQL${running.simUrl ? `, simulator at ${running.simUrl}` : ''}. Stop with Ctrl-C.`,
      );
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          ctx.printer.err(`${signal}: finishing running steps…`);
          running.stop().then(done, (error: unknown) => {
            ctx.printer.err(`error while stopping: ${String(error)}`);
            done();
          });
        };
        const onInt = () => stop('SIGINT');
        const onTerm = () => stop('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
      });
    });
}
