/**
 * An override as what the user changed: a partial values text laid over the layer's values, as `helm install -f`
 * lays a values file over a chart's defaults. Maps merge key by key; anything else (scalars, lists) replaces
 * what was there; a key set to `null` is removed. The layer's text keeps its comments and order; keys the
 * override adds go last in their map, with the override's comments.
 */
import { isMap, isScalar, type Pair, type YAMLMap } from 'yaml';
import { keyText, parseValues, VALUES_STRINGIFY_OPTIONS } from './values.ts';

/** Returns `base` with `overlay` laid over it; throws `InvalidYaml` (naming `field`) for a text that is not values. */
export function overlayValues(base: string, overlay: string, field: string): string {
  const doc = parseValues(base, `${field} (the layer's values)`);
  const top = parseValues(overlay, field);
  if (!isMap(top.contents) || top.contents.items.length === 0) return base;
  overlayMap(doc.contents as YAMLMap, top.contents);
  const text = doc.toString(VALUES_STRINGIFY_OPTIONS);
  return text === '{}\n' ? '' : text;
}

function overlayMap(target: YAMLMap, overlay: YAMLMap): void {
  for (const item of overlay.items) {
    const pair = item as Pair;
    const key = keyText(pair.key);
    const index = target.items.findIndex((p) => keyText((p as Pair).key) === key);
    const existing = index >= 0 ? (target.items[index] as Pair) : undefined;
    const removes = pair.value === null || (isScalar(pair.value) && pair.value.value === null);
    if (removes) {
      if (existing) target.items.splice(index, 1);
    } else if (existing && isMap(existing.value) && isMap(pair.value)) {
      overlayMap(existing.value, pair.value);
    } else if (existing) {
      existing.value = pair.value;
    } else {
      target.items.push(pair);
    }
  }
}
