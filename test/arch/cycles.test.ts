/**
 * No runtime import cycle in src/: a module graph with cycles evaluates modules half-initialised depending on
 * who is imported first. Type-only imports (`import type`, `export type … from`) are erased and do not count.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { importsOf, ROOT, sources } from './source-files.ts';

/** The module specifiers a file loads at run time: value imports, re-exports, side-effect and `import()`. */
export function runtimeSpecifiers(text: string): string[] {
  return importsOf(text)
    .filter((i) => !i.typeOnly)
    .map((i) => i.specifier);
}

/** Returns the import cycles (strongly connected components of more than one module, or a self-import). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

function graphOf(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(dir)) {
    const edges: string[] = [];
    for (const spec of runtimeSpecifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (existsSync(target)) edges.push(relative(ROOT, target));
    }
    graph.set(relative(ROOT, file), edges);
  }
  return graph;
}

describe('architecture: no runtime import cycle', () => {
  it('finds a cycle and skips type-only imports (so the check below can fail)', () => {
    assert.deepEqual(
      runtimeSpecifiers(
        "import type { A } from './a.ts';\nimport { type B } from './b.ts';\nimport { c, type D } from './c.ts';\nexport * from './e.ts';",
      ),
      ['./c.ts', './e.ts'],
    );
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(cycles(graph), [['a', 'b', 'c']]);
  });

  it('src/ has none', () => {
    const graph = graphOf(join(ROOT, 'src'));
    assert.ok(graph.size > 100, `only ${graph.size} modules found under src/`);
    assert.deepEqual(cycles(graph), []);
  });
});
