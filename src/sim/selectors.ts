/**
 * Label and field selectors, as `?labelSelector=` / `?fieldSelector=` strings and as the structured
 * `LabelSelector` of a Deployment's `spec.selector`.
 */
import { StrataError } from '../core/errors.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject, valueAtPath } from './kube-object.ts';

/** A predicate over objects, built once per request. */
export type ObjectMatcher = (obj: KubeObject) => boolean;

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };

function matchRequirement(labels: Record<string, string>, r: LabelRequirement): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && v === r.value;
    case 'neq':
      return !has || v !== r.value;
    case 'in':
      return has && r.values.includes(v!);
    case 'notin':
      return !has || !r.values.includes(v!);
    case 'exists':
      return has;
    case 'absent':
      return !has;
  }
}

/** Splits on commas that are not inside parentheses (`a in (x,y),b`). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseLabelRequirement(part: string): LabelRequirement {
  const setMatch = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (setMatch) {
    const values = setMatch[3]!
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return { op: setMatch[2] as 'in' | 'notin', key: setMatch[1]!, values };
  }
  const neq = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(part);
  if (neq) return { op: 'neq', key: neq[1]!, value: neq[2]! };
  const eq = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(part);
  if (eq) return { op: 'eq', key: eq[1]!, value: eq[2]! };
  if (/^![^\s!=]+$/.test(part)) return { op: 'absent', key: part.slice(1) };
  if (/^[^\s!=()]+$/.test(part)) return { op: 'exists', key: part };
  throw new StrataError('BadRequest', `unable to parse requirement: labelSelector "${part}" is not valid`);
}

/** Returns a matcher for a `labelSelector` query string (empty: everything). */
export function parseLabelSelector(text: string | null | undefined): ObjectMatcher {
  if (!text) return () => true;
  const reqs = splitTopLevel(text).map(parseLabelRequirement);
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => matchRequirement(labels, r));
  };
}

/** Returns a matcher for a `fieldSelector` query string; any dotted path of the object may be selected. */
export function parseFieldSelector(text: string | null | undefined): ObjectMatcher {
  if (!text) return () => true;
  const reqs = splitTopLevel(text).map((part) => {
    const m = /^([^!=]+?)\s*(!=|==|=)\s*(.*)$/.exec(part);
    if (!m) throw new StrataError('BadRequest', `invalid field selector: "${part}" is not key=value`);
    return { path: m[1]!.trim(), negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return (obj) =>
    reqs.every((r) => {
      const v = valueAtPath(obj, r.path);
      const text = v === undefined || v === null ? '' : String(v);
      return r.negate ? text !== r.value : text === r.value;
    });
}

/** True when labels satisfy a structured LabelSelector (`matchLabels` + `matchExpressions`); an empty one matches all. */
export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: unknown): boolean {
  if (!isJsonObject(selector)) return false;
  const have = labels ?? {};
  const matchLabels = isJsonObject(selector['matchLabels']) ? selector['matchLabels'] : {};
  for (const [k, v] of Object.entries(matchLabels)) if (have[k] !== v) return false;
  const exprs = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
  for (const e of exprs) {
    if (!isJsonObject(e)) continue;
    const key = String(e['key']);
    const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
    const op = String(e['operator']);
    const r: LabelRequirement =
      op === 'In'
        ? { op: 'in', key, values }
        : op === 'NotIn'
          ? { op: 'notin', key, values }
          : op === 'Exists'
            ? { op: 'exists', key }
            : { op: 'absent', key };
    if (!matchRequirement(have, r)) return false;
  }
  return true;
}

/** Returns the `a=b,c=d` text of a LabelSelector's matchLabels (what `status.selector` of a Scale shows). */
export function selectorText(selector: unknown): string {
  if (!isJsonObject(selector) || !isJsonObject(selector['matchLabels'])) return '';
  return Object.entries(selector['matchLabels'])
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}
