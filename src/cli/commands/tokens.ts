/** `strata token create | list | revoke` (admin). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { type CliContext, seg } from '../context.ts';
import { age, printResult, renderTable } from '../output.ts';

/**
 * The roles of `src/store/tokens.ts` (the server checks them too); not imported from there because that
 * module pulls in the database driver, which would slow every command's start by most of a second.
 */
const ROLES = ['viewer', 'operator', 'admin'] as const;

interface TokenJson {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  token?: string;
}

/** Registers the `token` commands. */
export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('Manage API tokens (admin)');
  token
    .command('create')
    .description('Create a token (printed once; store it now)')
    .argument('<name>')
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES).makeOptionMandatory())
    .action(async (name: string, opts: { role: string }) => {
      const data = await ctx
        .client()
        .request<TokenJson>({ method: 'POST', path: '/v1/tokens', body: { name, role: opts.role } });
      printResult(ctx.printer, ctx.format(), data, () => `${data.token}\n`);
      if (ctx.format() === 'table')
        ctx.printer.err(`token ${data.name} (${data.role}) created; it is shown only this once.`);
    });
  token
    .command('list')
    .description('List tokens (never their secrets)')
    .action(async () => {
      const data = await ctx.client().request<{ items: TokenJson[] }>({ method: 'GET', path: '/v1/tokens' });
      printResult(ctx.printer, ctx.format(), data, () =>
        renderTable(
          ['name', 'id', 'role', 'age', 'created by', 'revoked', 'last used'],
          data.items.map((t) => [
            t.name,
            t.id,
            t.role,
            age(t.createdAt),
            t.createdBy,
            t.revokedAt ? age(t.revokedAt) + ' ago' : '-',
            t.lastUsedAt ? `${age(t.lastUsedAt)} ago` : '-',
          ]),
        ),
      );
    });
  token
    .command('revoke')
    .description('Revoke a token by name (or id)')
    .argument('<name>')
    .action(async (name: string) => {
      const data = await ctx
        .client()
        .request<TokenJson>({ method: 'DELETE', path: `/v1/tokens/${seg(name)}` });
      printResult(ctx.printer, ctx.format(), data, () => `token ${data.name} (${data.id}) revoked`);
    });
}
