/** `strata rollout start | list | get | pause | resume | cancel` — clients of `/v1/rollouts`. */
import type { Command } from 'commander';
import { type CliContext, seg } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { printResult } from '../output.ts';

/** Registers the `rollout` commands. */
export function registerRolloutCommands(program: Command, ctx: CliContext): void {
  const rollout = program.command('rollout').description('Fleet-wide rollouts of a profile change, in waves');
  rollout
    .command('start')
    .description('Start (or --preview) a rollout from one profile version to another')
    .requiredOption('--from <ref>', 'NAME@VERSION the clusters run')
    .requiredOption('--to <ref>', 'NAME@VERSION to move them to')
    .option('--selector <labels>', 'only clusters with these labels (k=v,…)')
    .option('--canary <n>', 'clusters in the first wave', '1')
    .option('--soak <duration>', 'wait between waves', '5m')
    .option('--max-failures <n>', 'halt after this many failed clusters', '0')
    .option('--preview', 'show the waves without starting')
    .option('-y, --yes', 'start without asking')
    .option('--wait', 'follow progress until done')
    .action(
      async (opts: {
        from: string;
        to: string;
        selector?: string;
        canary: string;
        soak: string;
        maxFailures: string;
        preview?: boolean;
      }) => {
        const data = await ctx.client().request({
          method: 'POST',
          path: '/v1/rollouts',
          body: {
            from: opts.from,
            to: opts.to,
            selector: opts.selector,
            canary: Number(opts.canary),
            soakSeconds: Math.round(parseDuration(opts.soak, '--soak') / 1000),
            maxFailures: Number(opts.maxFailures),
            preview: opts.preview ?? false,
          },
        });
        printResult(ctx.printer, ctx.format(), data, () => JSON.stringify(data, null, 2));
      },
    );
  rollout
    .command('list')
    .description('List rollouts')
    .action(async () => {
      const data = await ctx.client().request({ method: 'GET', path: '/v1/rollouts' });
      printResult(ctx.printer, ctx.format(), data, () => JSON.stringify(data, null, 2));
    });
  rollout
    .command('get')
    .description('Show a rollout and its waves')
    .argument('<id>')
    .action(async (id: string) => {
      const data = await ctx.client().request({ method: 'GET', path: `/v1/rollouts/${seg(id)}` });
      printResult(ctx.printer, ctx.format(), data, () => JSON.stringify(data, null, 2));
    });
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    rollout
      .command(action)
      .description(`${action[0]!.toUpperCase()}${action.slice(1)} a rollout`)
      .argument('<id>')
      .action(async (id: string) => {
        const data = await ctx
          .client()
          .request({ method: 'POST', path: `/v1/rollouts/${seg(id)}/${action}` });
        printResult(ctx.printer, ctx.format(), data, () => `rollout ${id}: ${action} requested`);
      });
  }
}
