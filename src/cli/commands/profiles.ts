/** `strata profile create | list | get | edit | version | revisions`. */
import type { Command } from 'commander';
import type { ProfileLayer } from '../../core/model.ts';
import { type CliContext, readInputFile, requireVersionedRef, seg, splitRef } from '../context.ts';
import { printResult, renderTable } from '../output.ts';

interface ProfileJson {
  name: string;
  version: string;
  revision: number;
  type: string;
  cloudType: string;
  description: string;
  layers: Array<Pick<ProfileLayer, 'pack' | 'version' | 'presets'> & { values?: string }>;
  resourceVersion?: number;
  currentRevision?: number;
}

interface RevisionDiffJson {
  from: number;
  to: number;
  layers: Array<{
    pack: string;
    change: string;
    fromVersion: string | null;
    toVersion: string | null;
    values: Array<{ path: string; kind: string; from?: unknown; to?: unknown }>;
    presets: { enabled: string[]; disabled: string[] };
  }>;
}

function layerText(l: ProfileJson['layers'][number]): string {
  return `${l.pack}@${l.version}${l.presets.length > 0 ? ` [${l.presets.join(',')}]` : ''}`;
}

function profileRows(items: readonly ProfileJson[]): string {
  return renderTable(
    ['name', 'version', 'revision', 'type', 'cloud', 'layers'],
    items.map((p) => [
      p.name,
      p.version,
      String(p.revision),
      p.type,
      p.cloudType,
      p.layers.map(layerText).join(' '),
    ]),
  );
}

function profileDetails(p: ProfileJson): string {
  const lines = [
    `Name:             ${p.name}`,
    `Version:          ${p.version}`,
    `Revision:         ${p.revision}${p.currentRevision !== undefined ? ` (current: ${p.currentRevision})` : ''}`,
    `Type:             ${p.type}`,
    `Cloud:            ${p.cloudType}`,
  ];
  if (p.resourceVersion !== undefined) lines.push(`ResourceVersion:  ${p.resourceVersion}`);
  if (p.description) lines.push(`Description:      ${p.description}`);
  lines.push(
    '',
    renderTable(
      ['pack', 'version', 'presets'],
      p.layers.map((l) => [l.pack, l.version, l.presets.join(',') || '-']),
    ),
  );
  return lines.join('\n');
}

function diffText(d: RevisionDiffJson): string {
  const lines = [`Revision ${d.from} → ${d.to}:`];
  for (const l of d.layers) {
    if (l.change === 'unchanged') continue;
    const versions =
      l.fromVersion === l.toVersion ? (l.toVersion ?? '') : `${l.fromVersion ?? '-'} → ${l.toVersion ?? '-'}`;
    lines.push(`  ${l.pack} ${versions}: ${l.change}`);
    for (const v of l.values) {
      lines.push(
        `      ${v.kind === 'added' ? '+' : v.kind === 'removed' ? '-' : '~'} ${v.path}${v.kind === 'changed' ? `: ${JSON.stringify(v.from)} → ${JSON.stringify(v.to)}` : ''}`,
      );
    }
    if (l.presets.enabled.length > 0) lines.push(`      presets enabled: ${l.presets.enabled.join(', ')}`);
    if (l.presets.disabled.length > 0) lines.push(`      presets disabled: ${l.presets.disabled.join(', ')}`);
  }
  if (lines.length === 1) lines.push('  (no changes)');
  return lines.join('\n');
}

/** Returns the resourceVersion a profile file carries (as `profile get -o yaml` writes it), if any. */
async function resourceVersionInFile(text: string): Promise<number | undefined> {
  const { parseValues } = await import('../../core/values.ts');
  const data = parseValues(text, '-f').toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  return typeof data.resourceVersion === 'number' ? data.resourceVersion : undefined;
}

/** Registers the `profile` commands. */
export function registerProfileCommands(program: Command, ctx: CliContext): void {
  const profile = program
    .command('profile')
    .description('Create, inspect, edit and version cluster profiles');

  profile
    .command('create')
    .description('Create a profile version from a profile file (YAML)')
    .requiredOption('-f, --file <file>', 'profile file (- for stdin)')
    .action(async (opts: { file: string }) => {
      const text = readInputFile(opts.file, '-f');
      const data = await ctx.client().request<ProfileJson>({
        method: 'POST',
        path: '/v1/profiles',
        body: text,
        contentType: 'application/yaml',
      });
      printResult(
        ctx.printer,
        ctx.format(),
        data,
        () => `profile ${data.name}@${data.version} created (revision ${data.revision})`,
      );
    });

  profile
    .command('list')
    .description('List profile versions')
    .action(async () => {
      const data = await ctx
        .client()
        .request<{ items: ProfileJson[] }>({ method: 'GET', path: '/v1/profiles' });
      printResult(ctx.printer, ctx.format(), data, () => profileRows(data.items));
    });

  profile
    .command('get')
    .description('Show the versions of a profile, or one version (current revision, or --revision N)')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .option('--revision <n>', 'show this revision of the version')
    .action(async (ref: string, opts: { revision?: string }) => {
      const { name, version } = splitRef(ref);
      if (version === undefined) {
        const data = await ctx
          .client()
          .request<{ versions: ProfileJson[] }>({ method: 'GET', path: `/v1/profiles/${seg(name)}` });
        printResult(ctx.printer, ctx.format(), data, () => profileRows(data.versions));
        return;
      }
      const data = await ctx.client().request<ProfileJson>({
        method: 'GET',
        path: `/v1/profiles/${seg(name)}/versions/${seg(version)}`,
        query: { revision: opts.revision },
      });
      printResult(ctx.printer, ctx.format(), data, () => profileDetails(data));
    });

  profile
    .command('edit')
    .description('Edit a profile version in place from a file (makes a new revision; a new version is safer)')
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption(
      '-f, --file <file>',
      'profile file (- for stdin); `profile get NAME@VER -o yaml` writes one',
    )
    .option(
      '--resource-version <n>',
      'the resourceVersion the file was read at (default: the file’s, else current)',
    )
    .action(async (ref: string, opts: { file: string; resourceVersion?: string }) => {
      const { name, version } = requireVersionedRef(ref, 'profile');
      const text = readInputFile(opts.file, '-f');
      let expected = opts.resourceVersion ?? (await resourceVersionInFile(text))?.toString();
      if (expected === undefined) {
        const current = await ctx.client().request<ProfileJson>({
          method: 'GET',
          path: `/v1/profiles/${seg(name)}/versions/${seg(version)}`,
        });
        expected = String(current.resourceVersion);
        ctx.printer.err(
          `note: the file carries no resourceVersion; editing the current revision ${current.revision}.`,
        );
      }
      const data = await ctx
        .client()
        .request<{ profile: ProfileJson; clustersUsing: number; warning: string }>({
          method: 'PUT',
          path: `/v1/profiles/${seg(name)}/versions/${seg(version)}`,
          body: text,
          contentType: 'application/yaml',
          headers: { 'if-match': `"${expected}"` },
        });
      printResult(ctx.printer, ctx.format(), data, () =>
        [
          `profile ${name}@${version} edited: revision ${data.profile.revision}`,
          `${data.clustersUsing} cluster(s) use this version and now show an update available.`,
          `warning: ${data.warning}`,
        ].join('\n'),
      );
    });

  profile
    .command('version')
    .description('Create a new version by copying an existing one')
    .argument('<from>', 'NAME@FROM')
    .argument('<newVersion>', 'the new semantic version')
    .action(async (from: string, newVersion: string) => {
      const { name, version } = requireVersionedRef(from, 'profile');
      const data = await ctx.client().request<ProfileJson>({
        method: 'POST',
        path: `/v1/profiles/${seg(name)}/versions/${seg(version)}/copy`,
        body: { version: newVersion },
      });
      printResult(
        ctx.printer,
        ctx.format(),
        data,
        () => `profile ${data.name}@${data.version} created from ${name}@${version}`,
      );
    });

  profile
    .command('revisions')
    .description('List the revisions of a version, or diff two of them')
    .argument('<ref>', 'NAME@VERSION')
    .option('--from <n>', 'diff from this revision')
    .option('--to <n>', 'diff to this revision (default: current)')
    .action(async (ref: string, opts: { from?: string; to?: string }) => {
      const { name, version } = requireVersionedRef(ref, 'profile');
      const path = `/v1/profiles/${seg(name)}/versions/${seg(version)}/revisions`;
      if (opts.from === undefined && opts.to === undefined) {
        const data = await ctx.client().request<{
          items: Array<{
            revision: number;
            createdAt: string;
            createdBy: string;
            layers: ProfileJson['layers'];
          }>;
        }>({ method: 'GET', path });
        printResult(ctx.printer, ctx.format(), data, () =>
          renderTable(
            ['revision', 'created', 'by', 'layers'],
            data.items.map((r) => [
              String(r.revision),
              r.createdAt,
              r.createdBy,
              r.layers.map(layerText).join(' '),
            ]),
          ),
        );
        return;
      }
      const data = await ctx
        .client()
        .request<RevisionDiffJson>({ method: 'GET', path, query: { from: opts.from, to: opts.to } });
      printResult(ctx.printer, ctx.format(), data, () => diffText(data));
    });
}
