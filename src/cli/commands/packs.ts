/**
 * `strata pack list | get NAME[@VER] | show NAME@VER | add SOURCE | import PATH | versions SOURCE` and
 * `strata registry login | list | logout`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { type Command, Option } from 'commander';
import { StrataError } from '../../core/errors.ts';
import type { Pack, PackOrigin } from '../../core/model.ts';
import { type CliContext, readInputFile, seg, splitRef } from '../context.ts';
import { printResult, renderTable } from '../output.ts';

interface PackSummaryJson {
  name: string;
  version: string;
  layer: string;
  distribution: string | null;
  source: string;
  kind?: string;
  origin?: PackOrigin | null;
  displayName: string;
  presets: Array<{ name: string; group: string }>;
}

/** Returns where a pack came from, in a word or a URL: `built-in`, `oci://host/charts/podinfo`, `upload podinfo.tgz`. */
function originText(p: { source: string; origin?: PackOrigin | null }): string {
  const o = p.origin;
  if (!o) return p.source === 'builtin' ? 'built-in' : 'registered';
  if (o.type === 'upload') return o.url ? `upload ${o.url}` : 'upload';
  return o.url ?? o.type;
}

function summaryRows(items: readonly PackSummaryJson[]): string {
  return renderTable(
    ['name', 'version', 'layer', 'kind', 'source', 'presets'],
    items.map((p) => [
      p.name,
      p.version,
      p.distribution ? `${p.layer} (${p.distribution})` : p.layer,
      p.kind ?? 'strata',
      originText(p),
      p.presets.map((x) => x.name).join(','),
    ]),
  );
}

function packDetails(pack: Pack, full: boolean): string {
  const origin = pack.origin;
  const lines = [
    `Name:         ${pack.name}`,
    `Version:      ${pack.version}`,
    `Layer:        ${pack.layer}${pack.distribution ? ` (${pack.distribution})` : ''}`,
    `Kind:         ${pack.kind ?? 'strata'}`,
    `Source:       ${originText(pack)}`,
    ...(origin?.chart ? [`Chart:        ${origin.chart} ${origin.version ?? ''}`.trimEnd()] : []),
    ...(origin?.digest ? [`Digest:       ${origin.digest}`] : []),
    ...(pack.appVersion ? [`App version:  ${pack.appVersion}`] : []),
    `Description:  ${pack.description}`,
    `Node impact:  ${pack.nodeImpactPaths.length > 0 ? pack.nodeImpactPaths.join(', ') : '(none)'}`,
    ...(pack.kind === 'strata' || pack.kind === undefined
      ? [`Templates:    ${pack.manifests.map((m) => m.name).join(', ') || '(none)'}`]
      : []),
    'Presets:',
    ...(pack.presets.length > 0
      ? pack.presets.map((p) => `  ${p.name} (group ${p.group}): ${p.displayName}`)
      : ['  (none)']),
    'Values:',
    ...pack.values
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
  ];
  if (full && pack.valuesSchema) {
    lines.push(
      'Values schema (values.schema.json):',
      ...pack.valuesSchema
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  if (full && pack.readme)
    lines.push(
      'README:',
      ...pack.readme
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  return lines.join('\n');
}

/** The options `pack add` and `pack versions` share. */
interface RegistryOptions {
  repo?: string;
  plainHttp?: boolean;
  caFile?: string;
}

function registryBody(source: string, opts: RegistryOptions): Record<string, unknown> {
  if (source.startsWith('oci://') && opts.repo !== undefined) {
    throw new StrataError(
      'ValidationFailed',
      'An oci:// chart needs no --repo; --repo is for HTTP chart repositories.',
      {
        field: 'repo',
      },
    );
  }
  return {
    source,
    ...(opts.repo !== undefined ? { repo: opts.repo } : {}),
    ...(opts.plainHttp ? { plainHttp: true } : {}),
    ...(opts.caFile !== undefined ? { ca: readInputFile(opts.caFile, '--ca-file') } : {}),
  };
}

/** Files of a folder below `root` (relative paths), refusing links out of it. */
function folderFiles(root: string, prefix = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        files.set(`${prefix}${relative(root, path).split('\\').join('/')}`, readFileSync(path));
    }
  };
  walk(root);
  return files;
}

/** Returns the import request for a path: a chart (.tgz or folder), a kustomize folder or YAML files. */
async function importBody(paths: string[]): Promise<Record<string, unknown>> {
  const stats = paths.map((p) => {
    try {
      return statSync(p);
    } catch (error) {
      throw new StrataError('ValidationFailed', `cannot read ${p}: ${(error as Error).message}`, { path: p });
    }
  });
  const [first] = paths;
  if (paths.length === 1 && stats[0]!.isFile() && /\.(tgz|tar\.gz)$/.test(first!)) {
    return { kind: 'helm', archive: readFileSync(first!).toString('base64'), fileName: basename(first!) };
  }
  if (paths.length === 1 && stats[0]!.isDirectory()) {
    const { writeArchive } = await import('../../render/archive.ts');
    const dir = first!;
    const names = readdirSync(dir);
    if (names.includes('Chart.yaml')) {
      // A chart archive holds the chart's folder at its top, as `helm package` makes it.
      const archive = await writeArchive(folderFiles(dir, `${basename(dir)}/`));
      return { kind: 'helm', archive: archive.toString('base64'), fileName: basename(dir) };
    }
    if (names.some((n) => ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].includes(n))) {
      const archive = await writeArchive(folderFiles(dir));
      return { kind: 'kustomize', archive: archive.toString('base64'), fileName: basename(dir) };
    }
    const yamls = names.filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
    if (yamls.length === 0) {
      throw new StrataError(
        'ValidationFailed',
        `${dir} holds no Chart.yaml, no kustomization.yaml and no YAML files; nothing to import.`,
        { path: dir },
      );
    }
    paths = yamls.map((n) => join(dir, n));
  }
  const files: Record<string, string> = {};
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      throw new StrataError('ValidationFailed', `${path} is a folder; give one folder, or YAML files.`, {
        path,
      });
    }
    files[basename(path)] = readFileSync(path, 'utf8');
  }
  return { kind: 'manifest', files };
}

function layerOption(): Option {
  return new Option('--layer <layer>', 'the layer it fills').choices(['addon', 'cni', 'csi']);
}

/** Registers the `pack` commands. */
export function registerPackCommands(program: Command, ctx: CliContext): void {
  const pack = program.command('pack').description('Browse the pack catalog');
  pack
    .command('list')
    .description('List packs')
    .option('--layer <layer>', 'only packs of this layer (os, k8s, cni, csi, addon)')
    .action(async (opts: { layer?: string }) => {
      const data = await ctx.client().request<{ items: PackSummaryJson[] }>({
        method: 'GET',
        path: '/v1/packs',
        query: { layer: opts.layer },
      });
      printResult(ctx.printer, ctx.format(), data, () => summaryRows(data.items));
    });
  pack
    .command('get')
    .description('Show the versions of a pack, or one version with its values and presets')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .action(async (ref: string) => {
      const { name, version } = splitRef(ref);
      if (version === undefined) {
        const data = await ctx
          .client()
          .request<{ versions: PackSummaryJson[] }>({ method: 'GET', path: `/v1/packs/${seg(name)}` });
        printResult(ctx.printer, ctx.format(), data, () => summaryRows(data.versions));
        return;
      }
      const data = await ctx
        .client()
        .request<Pack>({ method: 'GET', path: `/v1/packs/${seg(name)}/versions/${seg(version)}` });
      printResult(ctx.printer, ctx.format(), data, () => packDetails(data, false));
    });
  pack
    .command('show')
    .description(
      "Show one pack version in full: default values with their comments, the chart's README and schema",
    )
    .argument('<ref>', 'NAME@VERSION')
    .action(async (ref: string) => {
      const { name, version } = splitRef(ref);
      if (!version)
        throw new StrataError('ValidationFailed', `pack show needs NAME@VERSION; got "${ref}".`, {
          field: 'ref',
        });
      const data = await ctx
        .client()
        .request<Pack>({ method: 'GET', path: `/v1/packs/${seg(name)}/versions/${seg(version)}` });
      printResult(ctx.printer, ctx.format(), data, () => packDetails(data, true));
    });
  pack
    .command('add')
    .description(
      'Add a chart from an OCI registry (oci://HOST[:PORT]/PATH/CHART) or an HTTP chart repository (CHART --repo URL)',
    )
    .argument('<source>', 'oci://HOST[:PORT]/PATH/CHART, or a chart name with --repo')
    .requiredOption('--version <version>', 'the chart version to pull (it becomes the pack version)')
    .option('--repo <url>', 'the HTTP chart repository (its index.yaml)')
    .option('--name <name>', 'the pack name (default: the chart name)')
    .addOption(layerOption())
    .option('--plain-http', 'reach the OCI registry over HTTP, not HTTPS')
    .option('--ca-file <file>', "the CA certificate (PEM) that signed the registry's certificate")
    .action(
      async (source: string, opts: RegistryOptions & { version: string; name?: string; layer?: string }) => {
        const data = await ctx.client().request<Pack>({
          method: 'POST',
          path: '/v1/packs/pull',
          body: {
            ...registryBody(source, opts),
            version: opts.version,
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.layer !== undefined ? { layer: opts.layer } : {}),
          },
        });
        printResult(ctx.printer, ctx.format(), data, () =>
          [
            `pack ${data.name}@${data.version} added (${data.kind}, ${originText(data)})`,
            ...(data.origin?.digest ? [`  digest ${data.origin.digest}`] : []),
          ].join('\n'),
        );
      },
    );
  pack
    .command('import')
    .description('Add a chart archive (.tgz) or folder, a kustomize folder, or YAML manifest files as a pack')
    .argument(
      '<paths...>',
      'a .tgz, a folder (Chart.yaml or kustomization.yaml or YAML files), or YAML files',
    )
    .option(
      '--name <name>',
      'the pack name (required for kustomize and manifests; charts default to their name)',
    )
    .option('--version <version>', 'the pack version (required for kustomize and manifests)')
    .addOption(layerOption())
    .action(async (paths: string[], opts: { name?: string; version?: string; layer?: string }) => {
      const body = await importBody(paths);
      const data = await ctx.client().request<Pack>({
        method: 'POST',
        path: '/v1/packs/import',
        body: {
          ...body,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.version !== undefined ? { version: opts.version } : {}),
          ...(opts.layer !== undefined ? { layer: opts.layer } : {}),
        },
      });
      printResult(
        ctx.printer,
        ctx.format(),
        data,
        () => `pack ${data.name}@${data.version} imported (${data.kind})`,
      );
    });
  pack
    .command('versions')
    .description('List the versions a registry offers of a chart, newest first')
    .argument('<source>', 'oci://HOST[:PORT]/PATH/CHART, or a chart name with --repo')
    .option('--repo <url>', 'the HTTP chart repository')
    .option('--plain-http', 'reach the OCI registry over HTTP, not HTTPS')
    .action(async (source: string, opts: RegistryOptions) => {
      const body = registryBody(source, opts);
      const data = await ctx.client().request<{ versions: string[] }>({
        method: 'GET',
        path: '/v1/chart-versions',
        query: {
          source,
          ...(opts.repo !== undefined ? { repo: opts.repo } : {}),
          ...(body.plainHttp ? { plainHttp: 'true' } : {}),
        },
      });
      printResult(ctx.printer, ctx.format(), data, () => data.versions.join('\n') || '(no versions)');
    });

  const registry = program
    .command('registry')
    .description('Sign in to chart registries (credentials stay on the server)');
  registry
    .command('login')
    .description('Store credentials for a registry host; the password is read from stdin')
    .argument('<host>', 'HOST or HOST:PORT')
    .requiredOption('--username <user>', 'the user name')
    .option(
      '--password-stdin',
      'read the password from stdin (the only way: it never appears in a command line)',
    )
    .action(async (host: string, opts: { username: string; passwordStdin?: boolean }) => {
      if (!opts.passwordStdin) {
        throw new StrataError(
          'ValidationFailed',
          'Give --password-stdin and pipe the password in (echo … | strata registry login …).',
          {
            field: 'password-stdin',
          },
        );
      }
      const password = readInputFile('-', '--password-stdin').replace(/\r?\n$/, '');
      const data = await ctx.client().request<{ host: string; username: string }>({
        method: 'PUT',
        path: `/v1/registries/${seg(host)}`,
        body: { username: opts.username, password },
      });
      printResult(ctx.printer, ctx.format(), data, () => `logged in to ${data.host} as ${data.username}`);
    });
  registry
    .command('list')
    .description('List registry logins (hosts and users; passwords are never shown)')
    .action(async () => {
      const data = await ctx
        .client()
        .request<{ items: Array<{ host: string; username: string; updatedAt: string }> }>({
          method: 'GET',
          path: '/v1/registries',
        });
      printResult(ctx.printer, ctx.format(), data, () =>
        renderTable(
          ['host', 'username', 'since'],
          data.items.map((r) => [r.host, r.username, r.updatedAt]),
        ),
      );
    });
  registry
    .command('logout')
    .description("Forget a registry's credentials")
    .argument('<host>', 'HOST or HOST:PORT')
    .action(async (host: string) => {
      await ctx.client().request({ method: 'DELETE', path: `/v1/registries/${seg(host)}` });
      printResult(ctx.printer, ctx.format(), { host, loggedOut: true }, () => `logged out of ${host}`);
    });
}
