/**
 * Presets: named switches on a pack that edit a layer's values. Enabling one removes its `remove` paths
 * and deep-merges its `add` fragment; disabling one restores what it touched to the pack's defaults.
 * Edits are made on the YAML Document, so comments elsewhere in the values are kept.
 */
import YAML, { type Document, isMap, isScalar, isSeq, type Node, Pair, Scalar, YAMLMap } from 'yaml';
import { StrataError } from './errors.ts';
import type { Pack, Preset, ValuePath } from './model.ts';
import {
  documentData,
  isPlainObject,
  keyText,
  MAX_ALIAS_COUNT,
  parsePath,
  parseValues,
  VALUES_STRINGIFY_OPTIONS,
  valuesData,
} from './values.ts';

/**
 * Returns the layer's values with the preset choice moved from `current` to `desired`, and the desired
 * presets (sorted, without duplicates). Presets in `current` but not `desired` are undone: each leaf path
 * their `add` introduced (and each path their `remove` took away) goes back to the pack default, or away
 * if the defaults lack it. Presets newly in `desired` are then applied — `remove` first, then `add`.
 * Presets enabled on both sides are not re-applied, so a person's later edits to their values survive.
 * Names in `current` the pack no longer defines are ignored (there is nothing known to undo); an unknown
 * desired name is `PresetUnknown`, two desired presets of one group `PresetGroupConflict`.
 */
export function applyPresets(
  pack: Pack,
  values: string,
  current: string[],
  desired: string[],
): { values: string; presets: string[] } {
  const presets = checkDesired(pack, desired);
  const enabledNow = new Set(current);
  const wanted = new Set(presets);
  // Pack order, not request order, so the result does not depend on how the list was written.
  const disabling = pack.presets.filter((p) => enabledNow.has(p.name) && !wanted.has(p.name));
  const enabling = pack.presets.filter((p) => wanted.has(p.name) && !enabledNow.has(p.name));
  if (disabling.length === 0 && enabling.length === 0) {
    valuesData(values, 'values');
    return { values, presets };
  }
  const doc = parseValues(values, 'values');
  if (disabling.length > 0) {
    const defaults = parseValues(pack.values, `pack ${pack.name}@${pack.version} values`);
    for (const preset of disabling) undoPreset(doc, defaults, pack, preset);
  }
  for (const preset of enabling) applyPreset(doc, pack, preset);
  return { values: doc.toString(VALUES_STRINGIFY_OPTIONS), presets };
}

/** Returns the pack's default values with the given presets enabled: a new layer's starting values. */
export function defaultLayerValues(pack: Pack, presets: string[]): string {
  return applyPresets(pack, pack.values, [], presets).values;
}

/** Returns the desired preset names sorted and de-duplicated, after checking they exist and do not clash. */
function checkDesired(pack: Pack, desired: string[]): string[] {
  const names = [...new Set(desired)].sort();
  const byGroup = new Map<string, string>();
  for (const name of names) {
    const preset = pack.presets.find((p) => p.name === name);
    if (!preset) {
      const known = pack.presets.map((p) => p.name);
      throw new StrataError(
        'PresetUnknown',
        `presets: pack ${pack.name}@${pack.version} has no preset '${name}' (known: ${known.join(', ') || 'none'}).`,
        { field: 'presets', pack: pack.name, preset: name, known },
      );
    }
    const other = byGroup.get(preset.group);
    if (other !== undefined) {
      throw new StrataError(
        'PresetGroupConflict',
        `presets: '${other}' and '${name}' of pack ${pack.name}@${pack.version} are both in group '${preset.group}'; enable only one.`,
        { field: 'presets', pack: pack.name, group: preset.group, presets: [other, name] },
      );
    }
    byGroup.set(preset.group, name);
  }
  return names;
}

function applyPreset(doc: Document, pack: Pack, preset: Preset): void {
  for (const path of preset.remove) deleteAt(doc, parsePath(path));
  const fragment = parseValues(preset.add, presetField(pack, preset));
  mergeInto(doc.contents as YAMLMap, fragment.contents as YAMLMap);
}

function undoPreset(doc: Document, defaults: Document, pack: Pack, preset: Preset): void {
  const added = documentData(parseValues(preset.add, presetField(pack, preset)));
  for (const path of leafPaths(added, [])) restoreDefault(doc, defaults, path);
  for (const text of preset.remove) {
    const path = parsePath(text);
    if (nodeAt(doc, path) === undefined && nodeAt(defaults, path) !== undefined)
      restoreDefault(doc, defaults, path);
  }
}

function presetField(pack: Pack, preset: Preset): string {
  return `pack ${pack.name}@${pack.version} preset ${preset.name} add`;
}

/** Deep-merges `fragment` into `target`: maps recurse, anything else replaces (with the fragment's comments). */
function mergeInto(target: YAMLMap, fragment: YAMLMap): void {
  for (const item of fragment.items) {
    const pair = item as Pair;
    const existing = findPair(target, keyText(pair.key));
    if (!existing) {
      target.items.push(pair);
    } else if (isMap(existing.value) && isMap(pair.value)) {
      mergeInto(existing.value, pair.value);
    } else {
      existing.value = pair.value;
      if (isScalar(pair.key) && pair.key.commentBefore && isScalar(existing.key)) {
        existing.key.commentBefore = pair.key.commentBefore;
      }
    }
  }
}

/** Sets `path` back to the pack default there, or removes it (and maps left empty) when defaults lack it. */
function restoreDefault(doc: Document, defaults: Document, path: ValuePath): void {
  const fallback = nodeAt(defaults, path);
  if (fallback !== undefined) {
    setAt(doc, defaults, path, copyNode(doc, defaults, fallback));
    return;
  }
  deleteAt(doc, path);
  for (let depth = path.length - 1; depth > 0; depth -= 1) {
    const parent = path.slice(0, depth);
    const node = nodeAt(doc, parent);
    if (!isMap(node) || node.items.length > 0 || nodeAt(defaults, parent) !== undefined) break;
    deleteAt(doc, parent);
  }
}

/** Returns the node at `path` (numeric segments, or digit keys, index lists), or undefined if absent. */
function nodeAt(doc: Document, path: ValuePath): unknown {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = findPair(node, String(segment));
      if (!pair) return undefined;
      node = pair.value;
    } else {
      const index = listIndex(node, segment);
      if (index === undefined) return undefined;
      node = (node as YAML.YAMLSeq).items[index];
    }
  }
  return node;
}

/** Sets the node at `path`, creating maps on the way; a new key goes after its preceding key in `defaults`. */
function setAt(doc: Document, defaults: Document, path: ValuePath, value: Node): void {
  let parent: unknown = doc.contents;
  for (let depth = 0; depth < path.length; depth += 1) {
    const segment = path[depth]!;
    const last = depth === path.length - 1;
    if (isSeq(parent)) {
      const index = listIndex(parent, segment);
      if (index === undefined) return;
      if (last) parent.items[index] = value;
      else parent = parent.items[index];
      continue;
    }
    if (!isMap(parent)) return;
    const key = String(segment);
    let pair = findPair(parent, key);
    if (!pair) {
      pair = new Pair(new Scalar(key), last ? value : new YAMLMap());
      parent.items.splice(positionFromDefaults(parent, defaults, path.slice(0, depth + 1)), 0, pair);
    } else if (last) {
      pair.value = value;
    } else if (!isMap(pair.value) && !isSeq(pair.value)) {
      pair.value = new YAMLMap();
    }
    parent = pair.value;
  }
}

/** Where a restored key goes in `map`: after the nearest key that precedes it in the defaults, else last. */
function positionFromDefaults(map: YAMLMap, defaults: Document, path: ValuePath): number {
  const defaultsParent = nodeAt(defaults, path.slice(0, -1));
  if (!isMap(defaultsParent)) return map.items.length;
  const keys = defaultsParent.items.map((p) => keyText(p.key));
  for (let i = keys.indexOf(String(path[path.length - 1])) - 1; i >= 0; i -= 1) {
    const previous = map.items.findIndex((p) => keyText(p.key) === keys[i]);
    if (previous !== -1) return previous + 1;
  }
  return map.items.length;
}

function deleteAt(doc: Document, path: ValuePath): void {
  if (path.length === 0) return;
  const parent = nodeAt(doc, path.slice(0, -1));
  const segment = path[path.length - 1]!;
  if (isMap(parent)) {
    const index = parent.items.findIndex((p) => keyText(p.key) === String(segment));
    if (index !== -1) parent.items.splice(index, 1);
  } else {
    const index = listIndex(parent, segment);
    if (index !== undefined) (parent as YAML.YAMLSeq).items.splice(index, 1);
  }
}

/** Returns the list index a segment names in `node`, when `node` is a list and the index is in range. */
function listIndex(node: unknown, segment: string | number): number | undefined {
  if (!isSeq(node)) return undefined;
  const index = typeof segment === 'number' ? segment : /^\d+$/.test(segment) ? Number(segment) : -1;
  return index >= 0 && index < node.items.length ? index : undefined;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => keyText(p.key) === key) as Pair | undefined;
}

/** Returns a copy of a defaults node to place in `doc`. */
function copyNode(doc: Document, defaults: Document, node: unknown): Node {
  if (!YAML.isNode(node)) return doc.createNode(node);
  // Aliases and anchors name nodes of the defaults document; copied as plain values they cannot dangle or clash.
  let named = node.anchor !== undefined;
  YAML.visit(node, {
    Node: (_key, inner) => {
      if (YAML.isAlias(inner) || inner.anchor !== undefined) named = true;
    },
  });
  if (named) return doc.createNode(node.toJS(defaults, { maxAliasCount: MAX_ALIAS_COUNT }));
  return node.clone() as Node;
}

/** Returns the paths of the leaves of plain data: values that are not maps, and empty maps. */
function leafPaths(data: Record<string, unknown>, prefix: string[]): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(data)) {
    if (isPlainObject(value) && Object.keys(value).length > 0)
      paths.push(...leafPaths(value, [...prefix, key]));
    else paths.push([...prefix, key]);
  }
  return paths;
}
