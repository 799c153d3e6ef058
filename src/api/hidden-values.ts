/**
 * A `(hidden)` written back keeps what it hides. Callers below admin read credentials as `(hidden)`
 * (viewer-view.ts); when they send a values text they read and edited — a profile layer, an override, a merge
 * resolution — each `(hidden)` is replaced by the value it stood for, taken from the same path of what that
 * text was read from (the stored layer or override, the pack's defaults and preset fragments), so an edit never
 * sets a password to the placeholder. A credential still `(hidden)` with nothing to restore is refused.
 */
import type { Document } from 'yaml';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Catalog } from '../core/catalog.ts';
import { StrataError } from '../core/errors.ts';
import { parseProfileRef } from '../core/profile.ts';
import { HIDDEN_VALUE, isCredentialPath, isPlainObject, parseValues, valuesData } from '../core/values.ts';
import type { StoredCluster } from '../store/clusters.ts';
import type { Store } from '../store/open.ts';
import { getProfileVersion } from '../store/profiles.ts';
import type { KnownSecrets } from './known-secrets.ts';

/**
 * Returns `text` with every `(hidden)` restored from `sources` (values texts, first match wins): a value that
 * reads `(hidden)` takes the source's value at its path; a string that has a masked secret inside takes the
 * source's string when masking it gives what was written. Throws `ValidationFailed` naming `field` when a
 * credential reads `(hidden)` and no source has it.
 */
export function restoreHiddenValues(
  text: string,
  sources: ReadonlyArray<string | undefined>,
  field: string,
  secrets: KnownSecrets,
): string {
  if (!text.includes(HIDDEN_VALUE)) return text;
  const doc = parseValues(text, field);
  const data = sources.flatMap((source) => {
    if (source === undefined) return [];
    try {
      return [valuesData(source, 'source')];
    } catch {
      return [];
    }
  });
  const lookup = (path: readonly (string | number)[]): unknown => {
    for (const root of data) {
      let node: unknown = root;
      for (const key of path) {
        if (Array.isArray(node) && typeof key === 'number') node = node[key];
        else if (isPlainObject(node) && typeof key === 'string') node = node[key];
        else node = undefined;
        if (node === undefined) break;
      }
      if (node !== undefined) return node;
    }
    return undefined;
  };
  let changed = false;
  const visit = (node: unknown, path: Array<string | number>): void => {
    const children: Array<{ key: string | number; get: () => unknown; set: (n: Node) => void }> = [];
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        children.push({ key: String(pair.key.value), get: () => pair.value, set: (n) => (pair.value = n) });
      }
    } else if (isSeq(node)) {
      node.items.forEach((_, i) => {
        children.push({ key: i, get: () => node.items[i], set: (n) => (node.items[i] = n) });
      });
    } else return;
    for (const child of children) {
      const childPath = [...path, child.key];
      const value = child.get();
      if (isScalar(value) && typeof value.value === 'string' && value.value.includes(HIDDEN_VALUE)) {
        const source = lookup(childPath);
        const written = value.value;
        if (written === HIDDEN_VALUE && source !== undefined) {
          const restored = (doc as Document).createNode(source);
          restored.comment = value.comment;
          restored.commentBefore = value.commentBefore;
          child.set(restored);
          changed = true;
        } else if (typeof source === 'string' && secrets.maskText(source) === written) {
          value.value = source;
          changed = true;
        } else if (
          written === HIDDEN_VALUE &&
          ((typeof child.key === 'string' && isCredentialPath(child.key)) ||
            secrets.declared.covers(childPath))
        ) {
          const at = childPath.join('.');
          throw new StrataError(
            'ValidationFailed',
            `${field}: ${at} reads (hidden) — a value hidden from you — and there is no value to keep; write the credential itself, or leave the key out.`,
            { field, path: at },
          );
        }
        continue;
      }
      visit(value, childPath);
    }
  };
  visit(doc.contents, []);
  return changed ? doc.toString() : text;
}

/** Returns a pack version's defaults and preset fragments: where a layer's values came from. */
export function packSources(catalog: Catalog, pack: string, version: string | undefined): string[] {
  const found = version === undefined ? undefined : catalog.get(pack, version);
  if (!found) return [];
  return [found.values, ...found.presets.map((p) => p.add)];
}

/**
 * Returns the values texts a cluster's layer of `pack` was read from, most specific first: the cluster's
 * override, the layer in each of `profileRefs` (the versions it moves to) and in the profiles it runs, then the
 * pack's defaults and preset fragments. A few store reads; no fleet scan.
 */
export async function clusterLayerSources(
  store: Store,
  catalog: Catalog,
  cluster: StoredCluster | undefined,
  pack: string,
  profileRefs: readonly string[] = [],
): Promise<string[]> {
  const sources: string[] = [];
  const override = cluster?.spec.overrides[pack];
  if (override) sources.push(override.values);
  const refs = [
    ...profileRefs.map((ref) => parseProfileRef(ref)),
    ...(cluster?.spec.profiles ?? []).map((p) => ({ name: p.name, version: p.version })),
  ];
  let packVersion: string | undefined;
  for (const ref of refs) {
    const profile = await getProfileVersion(store.db, ref.name, ref.version);
    const layer = profile?.layers.find((l) => l.pack === pack);
    if (!layer) continue;
    sources.push(layer.values);
    packVersion ??= layer.version;
  }
  return [...sources, ...packSources(catalog, pack, packVersion)];
}
