/**
 * The `strata` command line: commander with every command of DESIGN section 7, `-o table|json|yaml`, and the
 * exit codes people script against — 0 ok, 1 error (with `error: <message> [<code>]`), 2 usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiClient, clientConfigFromEnv } from './client.ts';
import { registerClusterCommands } from './commands/clusters.ts';
import { registerCompletionCommand } from './commands/completion.ts';
import { registerPackCommands } from './commands/packs.ts';
import { registerProfileCommands } from './commands/profiles.ts';
import { registerRolloutCommands } from './commands/rollouts.ts';
import { registerTokenCommands } from './commands/tokens.ts';
import { registerUpCommand } from './commands/up.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import type { CliContext } from './context.ts';
import {
  loadOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
  type Printer,
  printError,
  processPrinter,
} from './output.ts';

/** Returns the version in package.json (the one `npm pack` ships). */
function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** Returns the commander program with every command registered against `ctx`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('strata')
    .description('Strata: layered cluster profiles and safe updates of live Kubernetes clusters')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (t) => ctx.printer.out(t), writeErr: (t) => ctx.printer.err(t) })
    // `--version` is answered before parsing (runCli): commands such as `pack add … --version V` take it as theirs.
    .addHelpText('after', '\n`strata --version` (or -V) prints the version.')
    // Commands import their implementations when they run; what printing needs is loaded here, once `-o` is known.
    .hook('preAction', () => loadOutputFormat(ctx.format()));
  registerUpCommand(program, ctx);
  registerPackCommands(program, ctx);
  registerProfileCommands(program, ctx);
  registerClusterCommands(program, ctx);
  registerRolloutCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerWorkerCommand(program, ctx);
  registerCompletionCommand(program, ctx);
  return program;
}

/** Runs the CLI on `args` (without node and script) and returns the exit code. */
export async function runCli(args: readonly string[], printer: Printer = processPrinter): Promise<number> {
  let program: Command | undefined;
  let client: ApiClient | undefined;
  const ctx: CliContext = {
    client: () => {
      client ??= new ApiClient(clientConfigFromEnv());
      return client;
    },
    printer,
    format: () => (program?.opts().output as OutputFormat | undefined) ?? 'table',
  };
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    printer.out(packageVersion());
    return EXIT.ok;
  }
  program = buildProgram(ctx);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "exit" with 0; every other commander error is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    printError(printer, ctx.format(), error);
    return EXIT.error;
  }
}
