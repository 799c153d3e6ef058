/** `strata pack list | get NAME[@VER]`. */
import type { Command } from 'commander';
import type { Pack } from '../../core/model.ts';
import { type CliContext, seg, splitRef } from '../context.ts';
import { printResult, renderTable } from '../output.ts';

interface PackSummaryJson {
  name: string;
  version: string;
  layer: string;
  distribution: string | null;
  source: string;
  displayName: string;
  presets: Array<{ name: string; group: string }>;
}

function summaryRows(items: readonly PackSummaryJson[]): string {
  return renderTable(
    ['name', 'version', 'layer', 'source', 'presets'],
    items.map((p) => [
      p.name,
      p.version,
      p.distribution ? `${p.layer} (${p.distribution})` : p.layer,
      p.source,
      p.presets.map((x) => x.name).join(','),
    ]),
  );
}

function packDetails(pack: Pack): string {
  const lines = [
    `Name:         ${pack.name}`,
    `Version:      ${pack.version}`,
    `Layer:        ${pack.layer}${pack.distribution ? ` (${pack.distribution})` : ''}`,
    `Source:       ${pack.source}`,
    `Description:  ${pack.description}`,
    `Node impact:  ${pack.nodeImpactPaths.length > 0 ? pack.nodeImpactPaths.join(', ') : '(none)'}`,
    `Templates:    ${pack.manifests.map((m) => m.name).join(', ') || '(none)'}`,
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
  return lines.join('\n');
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
      printResult(ctx.printer, ctx.format(), data, () => packDetails(data));
    });
}
