/** `strata up [--demo] [--port N] [--kube-port N]`: runs Strata in this process until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { DEMO_PROFILE } from '../demo-names.ts';

function portOption(value: string): number {
  return Number(value);
}

/** Registers `up`; its action resolves once Strata has stopped. */
export function registerUpCommand(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('Start Strata: store, simulated Kubernetes API, REST API (and the engine, when present)')
    .option(
      '--demo',
      `create the demo profile ${DEMO_PROFILE} 1.0.0/1.1.0 (and its cluster, with the engine)`,
    )
    .option('--port <port>', 'REST API port (default $STRATA_PORT or 7080)', portOption)
    .option(
      '--kube-port <port>',
      'simulated Kubernetes API port (default $STRATA_KUBE_PORT or 7443)',
      portOption,
    )
    .option('--home <dir>', 'data directory (default $STRATA_HOME or ~/.strata)')
    .option('--log', 'log every request')
    .option(
      '--no-work',
      'serve the API and take commands, leaving every pass to `strata worker` processes (PostgreSQL only)',
    )
    .action(
      async (opts: {
        demo?: boolean;
        port?: number;
        kubePort?: number;
        home?: string;
        log?: boolean;
        work: boolean;
      }) => {
        // Loaded on demand: the server, store and simulator are heavy, and every other command is a thin client.
        const { startServer } = await import('../../main/up.ts');
        const strata = await startServer({
          demo: opts.demo,
          port: opts.port,
          kubePort: opts.kubePort,
          home: opts.home,
          logger: opts.log,
          work: opts.work,
        });
        const p = ctx.printer;
        p.out(`Strata is up (home ${strata.home}).`);
        p.out(`  Web console:     ${strata.apiUrl}/   (sign in with the admin token below)`);
        p.out(`  REST API:        ${strata.apiUrl}/v1   (OpenAPI: ${strata.apiUrl}/v1/openapi.json)`);
        p.out(`  Kubernetes API:  ${strata.kubeUrl}/clusters/<name>`);
        p.out(
          `  Admin token:     ${strata.adminTokenPath}   (the CLI reads it from there; STRATA_TOKEN overrides)`,
        );
        p.out(
          `  Store:           ${strata.store.driver === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded, ${strata.store.dataDir ?? 'in memory'}`}`,
        );
        if (!strata.engine)
          p.out('  Engine:          not running in this build — cluster actions answer 503 Unavailable');
        else if (!opts.work)
          p.out(
            '  Engine:          commands only (--no-work): start `strata worker` processes to do the work',
          );
        for (const made of strata.demoCreated) p.out(`  demo: created ${made}`);
        p.out('Try:');
        p.out('  strata pack list');
        if (strata.hasDemoProfile) {
          p.out(`  strata profile get ${DEMO_PROFILE}@1.0.0`);
          p.out(`  strata cluster create demo --profile ${DEMO_PROFILE}@1.0.0 --wait`);
        } else {
          // No profile yet: say how to get the walkthrough's, rather than suggest one that does not exist.
          p.out('  strata profile create -f profile.yaml   (a profile file: README, "A tour")');
          p.out(
            `  strata up --demo   (or npm start -- --demo: creates ${DEMO_PROFILE} 1.0.0/1.1.0 and a cluster)`,
          );
        }
        p.out('Stop with Ctrl-C.');
        await new Promise<void>((resolveStop) => {
          const stop = (signal: string) => {
            process.off('SIGINT', onInt);
            process.off('SIGTERM', onTerm);
            p.err(`${signal}: stopping Strata…`);
            strata.stop().then(resolveStop, (error: unknown) => {
              p.err(`error while stopping: ${String(error)}`);
              resolveStop();
            });
          };
          const onInt = () => stop('SIGINT');
          const onTerm = () => stop('SIGTERM');
          process.on('SIGINT', onInt);
          process.on('SIGTERM', onTerm);
        });
      },
    );
}
