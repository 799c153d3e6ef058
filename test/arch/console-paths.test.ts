/**
 * The console writes no REST path of its own: every request goes through the typed builders of
 * src/wire/paths.ts (through src/web/src/api/types.ts), so a renamed route or query parameter fails to compile
 * in one place rather than going stale in a component. Comments may name paths; code may not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, sources, withoutComments } from './source-files.ts';

describe('architecture: console paths', () => {
  it('no file of the console outside its api/ client writes a /v1 path', () => {
    const files = sources(join(ROOT, 'src/web/src')).filter((f) => !f.includes('/src/web/src/api/'));
    assert.ok(files.length > 30, `the console's sources are listed (${files.length})`);
    const written = files.flatMap((file) =>
      withoutComments(readFileSync(file, 'utf8'))
        .split('\n')
        .flatMap((line, i) =>
          /['"`]\/v1\//.test(line) || /['"`]\/v1['"`]/.test(line)
            ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`]
            : [],
        ),
    );
    assert.deepEqual(written, [], `paths written by hand:\n${written.join('\n')}`);
  });
});
