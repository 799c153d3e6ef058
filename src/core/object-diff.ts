/**
 * Which fields of a Kubernetes object change between two renders: the object-level part of a plan, so a chart
 * upgrade reads as `spec.template.spec.containers[name=podinfo].image` rather than just "Deployment changed".
 * Maps recurse; lists of maps that each carry a unique `name` (containers, env, ports, volumes) pair items by
 * name; other lists are compared whole. Strata's own labels are left out (they change with the profile).
 */
import type { KubeObject } from './model.ts';
import { STRATA_LABELS } from './render.ts';

/** The most paths a plan lists per object (the rest is counted). */
export const MAX_PATHS_PER_OBJECT = 20;

const IGNORED_LABELS = new Set<string>(Object.values(STRATA_LABELS));

/** Returns the changed field paths from `before` to `after`, sorted (empty when equal). */
export function changedFieldPaths(before: KubeObject, after: KubeObject): string[] {
  const paths: string[] = [];
  diff(strip(before), strip(after), '', paths);
  return paths.sort();
}

function strip(obj: KubeObject): unknown {
  const labels = obj.metadata.labels;
  if (!labels) return obj;
  const kept = Object.fromEntries(Object.entries(labels).filter(([k]) => !IGNORED_LABELS.has(k)));
  return { ...obj, metadata: { ...obj.metadata, labels: kept } };
}

function join(prefix: string, key: string): string {
  const segment = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return prefix === '' ? segment : segment.startsWith('[') ? `${prefix}${segment}` : `${prefix}.${segment}`;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function namedItems(list: unknown[]): Map<string, unknown> | null {
  const byName = new Map<string, unknown>();
  for (const item of list) {
    if (!isMap(item) || typeof item.name !== 'string' || byName.has(item.name)) return null;
    byName.set(item.name, item);
  }
  return byName;
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isMap(a) && isMap(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
      diff(a[key], b[key], join(path, key), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const na = namedItems(a);
    const nb = namedItems(b);
    if (na && nb && a.length > 0 && b.length > 0) {
      for (const name of new Set([...na.keys(), ...nb.keys()]))
        diff(na.get(name), nb.get(name), `${path}[name=${name}]`, out);
      return;
    }
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path === '' ? '(whole object)' : path);
}
