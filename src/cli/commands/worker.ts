/**
 * `strata worker`: one more engine process for an installation on PostgreSQL. It claims work from the shared
 * queue (leases, so each step runs in one process and a killed worker's share returns to the others) and
 * reaches the simulated clusters through the simulator that `strata up` runs. It serves no API.
 */
import type { Command } from 'commander';
import { StrataError } from '../../core/errors.ts';
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
      'steps run at once (default 16); the worker claims up to 4× as many at a time',
      (v) => Number(v),
    )
    .action(async (opts: WorkerOptions) => {
      const databaseUrl = process.env.DATABASE_URL;
      if (!databaseUrl) {
        throw new StrataError(
          'ValidationFailed',
          'strata worker needs DATABASE_URL: the embedded store belongs to the one `strata up` process; several processes share a PostgreSQL server.',
          { field: 'DATABASE_URL' },
        );
      }
      if (opts.concurrency !== undefined && !(Number.isInteger(opts.concurrency) && opts.concurrency > 0)) {
        throw new StrataError('ValidationFailed', '--concurrency must be a positive whole number.', {
          field: 'concurrency',
        });
      }
      const { join, resolve } = await import('node:path');
      const { openStore, defaultStrataHome } = await import('../../store/open.ts');
      const { loadBuiltinCatalog } = await import('../../catalog/load.ts');
      const { loadUserPacks } = await import('../../catalog/user-packs.ts');
      const { connectRemoteSimulator } = await import('../../sim/remote.ts');
      const { notifyLive } = await import('../../store/live-channel.ts');
      const { startEngine } = await import('../../engine/engine.ts');
      const home = resolve(opts.home ?? defaultStrataHome());
      const schema = process.env.STRATA_DB_SCHEMA || undefined;
      const store = await openStore({ home, databaseUrl, schema });
      let running: { stop(): Promise<void> } | undefined;
      try {
        const catalog = await loadBuiltinCatalog();
        await loadUserPacks(store.db, catalog);
        const simUrl =
          opts.simUrl ??
          process.env.STRATA_SIM_URL ??
          `https://127.0.0.1:${process.env.STRATA_KUBE_PORT || 7443}`;
        const sim = opts.sim
          ? await connectRemoteSimulator({ url: simUrl, pkiDir: join(home, 'pki') })
          : null;
        running = startEngine({
          store,
          catalog,
          sim,
          concurrency: opts.concurrency,
          // Watches belong to the process that serves the API; the resync finds drift from here too.
          watchDrift: false,
          // The API process relays these to its live views (server-sent events).
          publish: (event) => {
            notifyLive(store, schema, event).catch(() => {});
          },
        });
        ctx.printer.out(
          `Strata worker is up: claiming work from PostgreSQL${sim ? `, simulator at ${sim.url}` : ''}. Stop with Ctrl-C.`,
        );
      } catch (error) {
        await store.close();
        throw error;
      }
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          ctx.printer.err(`${signal}: finishing running steps…`);
          (running?.stop() ?? Promise.resolve())
            .then(() => store.close())
            .then(done, (error: unknown) => {
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
