/**
 * Naming an unknown field the way a person fixes it: `body.dryrun: unknown field; did you mean "dryRun"?`. The
 * known fields come from the route's own zod schema at the path of the object that held the unknown key, and
 * the suggestion is the known field closest in edit distance (case, `-` and `_` ignored), when one is close.
 */
import { z } from 'zod';

/** Returns the field names an object at `path` of `schema` accepts (the union of a union's options), or []. */
export function knownFieldsAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let nodes: unknown[] = [schema];
  for (const key of path) nodes = nodes.flatMap((node) => childSchemas(node, key));
  return [...new Set(nodes.flatMap((node) => objectsOf(node).flatMap((o) => Object.keys(o.shape))))];
}

/** Returns the schema itself as the objects it may be: through optional, nullable, default, pipes and unions. */
function objectsOf(node: unknown): z.ZodObject[] {
  const inner = unwrap(node);
  if (inner instanceof z.ZodObject) return [inner];
  if (inner instanceof z.ZodUnion) return (inner.options as unknown[]).flatMap(objectsOf);
  return [];
}

/** Returns the schemas that may validate the value under `key` of a value `node` validates. */
function childSchemas(node: unknown, key: PropertyKey): unknown[] {
  const inner = unwrap(node);
  if (inner instanceof z.ZodObject) {
    const shape = inner.shape as Record<PropertyKey, unknown>;
    return key in shape ? [shape[key]] : [];
  }
  if (inner instanceof z.ZodArray) return [inner.element];
  if (inner instanceof z.ZodRecord) return [inner.valueType];
  if (inner instanceof z.ZodUnion) return (inner.options as unknown[]).flatMap((o) => childSchemas(o, key));
  return [];
}

function unwrap(node: unknown): unknown {
  let current = node;
  for (let i = 0; i < 16; i++) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap();
    else if (current instanceof z.ZodDefault) current = current.removeDefault();
    else if (current instanceof z.ZodPipe) current = current.in;
    else return current;
  }
  return current;
}

/** Returns the known field an unknown one most likely meant (`dryrun` → `dryRun`), or undefined when none is close. */
export function suggestField(unknown: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const target = norm(unknown);
  if (target.length === 0 || target.length > 64) return undefined;
  let best: { field: string; distance: number } | undefined;
  for (const field of known) {
    const distance = editDistance(target, norm(field));
    if (best === undefined || distance < best.distance) best = { field, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(1, Math.floor(target.length / 3)) ? best.field : undefined;
}

/**
 * Returns the edit distance of two short strings: insertions, deletions, substitutions and swaps of two
 * neighbours (`chian` → `chain` is one edit), each counting one (the optimal-string-alignment distance).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
