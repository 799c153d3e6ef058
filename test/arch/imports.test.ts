/**
 * The rooms' boundaries. The console (src/web) and the CLI (src/cli) speak the REST contract (src/wire) and may
 * use the pure core, never the store, the engine or the simulator — not even for a type. Only the composition
 * ROOT (src/main), which the CLI's `up` and `worker` actions load, wires those. The store implements ports it
 * is handed and imports no room but the core; the core imports none.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { importsOf, ROOT, sources } from './source-files.ts';

const FORBIDDEN = ['src/store/', 'src/engine/', 'src/sim/'];

/** Returns every module specifier a file names: static imports and re-exports (type-only too) and `import()`. */
export function specifiers(text: string): string[] {
  return importsOf(text).map((i) => i.specifier);
}

/** The imports of files below `dir` that reach a forbidden room, as `file → target` lines. */
function crossings(dir: string, forbidden: readonly string[] = FORBIDDEN): string[] {
  const bad: string[] = [];
  for (const file of sources(join(ROOT, dir))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = relative(ROOT, resolve(dirname(file), spec));
      if (forbidden.some((room) => target.startsWith(room))) bad.push(`${relative(ROOT, file)} → ${target}`);
    }
  }
  return bad;
}

describe('architecture: clients import the wire, not the server', () => {
  it('finds imports of every form (so the check below can fail)', () => {
    assert.deepEqual(
      specifiers(
        [
          "import type { A } from '../store/a.ts';",
          "import { b } from '../engine/b.ts';",
          "export type { C } from '../sim/c.ts';",
          "import '../store/side-effect.ts';",
          "const m = await import('../engine/lazy.ts');",
          "// import { x } from '../store/commented.ts';",
        ].join('\n'),
      ),
      ['../store/a.ts', '../engine/b.ts', '../sim/c.ts', '../store/side-effect.ts', '../engine/lazy.ts'],
    );
  });

  it('src/cli imports neither src/store, src/engine nor src/sim', () => {
    assert.deepEqual(crossings('src/cli'), []);
  });

  it('src/web imports neither src/store, src/engine nor src/sim', () => {
    assert.deepEqual(crossings('src/web/src'), []);
  });

  it('src/store imports neither src/engine, src/api, src/sim nor the clients (it implements ports it is handed)', () => {
    assert.deepEqual(
      crossings('src/store', ['src/engine/', 'src/api/', 'src/sim/', 'src/cli/', 'src/web/', 'src/main/']),
      [],
    );
  });

  it('src/core imports no other room of src/', () => {
    const rooms = [
      'api',
      'catalog',
      'cli',
      'engine',
      'kube',
      'main',
      'registry',
      'render',
      'sim',
      'store',
      'web',
      'wire',
    ];
    assert.deepEqual(
      crossings(
        'src/core',
        rooms.map((room) => `src/${room}/`),
      ),
      [],
    );
  });

  it('src/engine imports neither the API, the clients, the composition root nor the simulator', () => {
    assert.deepEqual(
      crossings('src/engine', ['src/api/', 'src/cli/', 'src/web/', 'src/main/', 'src/sim/']),
      [],
    );
  });
});
