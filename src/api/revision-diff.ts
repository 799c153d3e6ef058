/**
 * The difference between two revisions of a profile version, per layer: the pack added, removed or moved to
 * another version, the value paths that changed and the presets switched. Shown by the revision history.
 */
import type { ProfileLayer } from '../core/model.ts';
import { compareSemver } from '../core/semver.ts';
import { diffValues, type ValueChange } from '../core/values.ts';

/** How one layer differs between two revisions. */
export interface LayerRevisionDiff {
  pack: string;
  change: 'added' | 'removed' | 'upgraded' | 'downgraded' | 'values' | 'unchanged';
  fromVersion: string | null;
  toVersion: string | null;
  values: ValueChange[];
  presets: { enabled: string[]; disabled: string[] };
}

/** Returns the per-layer differences from one revision's layers to another's, in the newer revision's order. */
export function diffProfileRevisions(
  from: readonly ProfileLayer[],
  to: readonly ProfileLayer[],
): LayerRevisionDiff[] {
  const before = new Map(from.map((l) => [l.pack, l]));
  const after = new Map(to.map((l) => [l.pack, l]));
  const diffs: LayerRevisionDiff[] = [];
  for (const layer of to) {
    const old = before.get(layer.pack);
    if (!old) {
      diffs.push({
        pack: layer.pack,
        change: 'added',
        fromVersion: null,
        toVersion: layer.version,
        values: diffValues('', layer.values),
        presets: { enabled: [...layer.presets], disabled: [] },
      });
      continue;
    }
    const values = diffValues(old.values, layer.values);
    const presets = {
      enabled: layer.presets.filter((p) => !old.presets.includes(p)),
      disabled: old.presets.filter((p) => !layer.presets.includes(p)),
    };
    const order = compareSemver(layer.version, old.version);
    const change =
      order > 0
        ? 'upgraded'
        : order < 0
          ? 'downgraded'
          : values.length > 0 || presets.enabled.length > 0 || presets.disabled.length > 0
            ? 'values'
            : 'unchanged';
    diffs.push({
      pack: layer.pack,
      change,
      fromVersion: old.version,
      toVersion: layer.version,
      values,
      presets,
    });
  }
  for (const layer of from) {
    if (after.has(layer.pack)) continue;
    diffs.push({
      pack: layer.pack,
      change: 'removed',
      fromVersion: layer.version,
      toVersion: null,
      values: diffValues(layer.values, ''),
      presets: { enabled: [], disabled: [...layer.presets] },
    });
  }
  return diffs;
}
