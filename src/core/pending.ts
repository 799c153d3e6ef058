/**
 * The pending configuration of a cluster moving between profile versions (or revisions): per layer, a
 * 3-way merge of the version it was on (base), the version it moves to (theirs) and its own values
 * (ours), so the cluster's overrides are kept and only true conflicts are left to the user.
 */
import type { Catalog } from './catalog.ts';
import { StrataError } from './errors.ts';
import type { LayerOverride, ProfileLayer, ProfileVersion, ResolvedLayer } from './model.ts';
import { resolveStack } from './stack.ts';
import { parseValues, valuesEqual } from './values.ts';
import { type MergeConflict, mergeValues3Way } from './values-merge.ts';

/** Input of `pendingConfiguration`. */
export interface PendingInput {
  /** The profile versions (at the revisions) the cluster runs now. */
  currentProfiles: ProfileVersion[];
  /** The profile versions it moves to. */
  targetProfiles: ProfileVersion[];
  /** The cluster's overrides now. */
  overrides: Record<string, LayerOverride>;
  /**
   * Values the user settled on per pack (from the editor's right-hand side); they replace the merge
   * result for that layer and resolve its conflicts.
   */
  resolutions?: Record<string, string>;
}

/** The pending configuration: the stack it would run, the overrides it keeps, conflicts left. */
export interface PendingConfiguration {
  stack: ResolvedLayer[];
  overrides: Record<string, LayerOverride>;
  conflicts: Record<string, MergeConflict[]>;
}

/** Returns the pending configuration for a move between profile versions, overrides merged in. */
export function pendingConfiguration(input: PendingInput, catalog: Catalog): PendingConfiguration {
  const baseLayers = layersByPack(input.currentProfiles);
  const overrides: Record<string, LayerOverride> = {};
  const conflicts: Record<string, MergeConflict[]> = {};
  const targetLayers = layersByPack(input.targetProfiles);

  for (const pack of Object.keys(input.resolutions ?? {})) {
    if (!targetLayers.has(pack)) {
      throw new StrataError(
        'ValidationFailed',
        `A resolution was given for pack '${pack}', which the target does not run.`,
        {
          field: `resolutions.${pack}`,
        },
      );
    }
  }

  for (const [pack, theirs] of targetLayers) {
    const resolution = input.resolutions?.[pack];
    const override = input.overrides[pack];
    if (resolution !== undefined) {
      parseValues(resolution, `resolutions.${pack}`);
      if (!valuesEqual(resolution, theirs.values) || override?.presets) {
        overrides[pack] = {
          pack,
          values: resolution,
          ...(override?.presets ? { presets: override.presets } : {}),
        };
      }
      continue;
    }
    if (!override) continue;
    const base = baseLayers.get(pack);
    if (!base) {
      // The pack is new to the cluster's profiles but the cluster already overrode it? Not reachable through
      // resolveStack; keep the override as the user's word.
      overrides[pack] = override;
      continue;
    }
    const merged = mergeValues3Way({ base: base.values, ours: override.values, theirs: theirs.values });
    if (merged.conflicts.length > 0) conflicts[pack] = merged.conflicts;
    const presets = mergePresets(base.presets, override.presets, theirs.presets);
    if (presets !== undefined && !sameList(base.presets, theirs.presets)) {
      // Both sides changed the preset choice differently: a true conflict, never a silent pick.
      conflicts[pack] = [
        ...(conflicts[pack] ?? []),
        {
          path: '(presets)',
          base: base.presets,
          ours: presets,
          theirs: theirs.presets,
          line: 0,
        },
      ];
    }
    if (!valuesEqual(merged.text, theirs.values) || merged.conflicts.length > 0 || presets !== undefined) {
      overrides[pack] = { pack, values: merged.text, ...(presets !== undefined ? { presets } : {}) };
    }
  }
  const stack = resolveStack(input.targetProfiles, overrides, catalog);
  return { stack, overrides, conflicts };
}

/** Returns the cluster's own preset choice if it still differs from the target's, else undefined. */
function mergePresets(base: string[], ours: string[] | undefined, theirs: string[]): string[] | undefined {
  if (ours === undefined) return undefined;
  if (sameList(ours, base) || sameList(ours, theirs)) return undefined;
  return ours;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function layersByPack(profiles: ProfileVersion[]): Map<string, ProfileLayer> {
  const map = new Map<string, ProfileLayer>();
  for (const p of profiles) for (const l of p.layers) map.set(l.pack, l);
  return map;
}
