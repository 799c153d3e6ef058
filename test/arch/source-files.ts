/** What the architecture tests read: the TypeScript sources below a folder of the repository, comments removed. */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** Lists the TypeScript files below a folder (no declaration files, no node_modules or build output). */
export function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') found.push(...sources(path));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** Returns source text without comments (they may name modules in prose; they are not imports). */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** A module a file names, and whether only types are taken from it (erased at build time). */
export interface ImportOf {
  specifier: string;
  typeOnly: boolean;
}

/** True for an import or export clause that takes only types (`type {A}`, `{type A, type B}`). */
function typesOnly(clause: string): boolean {
  if (clause.startsWith('type ') || clause.startsWith('type{')) return true;
  const names = /^\{([\s\S]*)\}$/.exec(clause)?.[1];
  if (names === undefined) return false;
  const items = names
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return items.length > 0 && items.every((n) => n.startsWith('type '));
}

/** Returns the modules a file names: imports and re-exports with `from`, side-effect imports, then `import()`. */
export function importsOf(text: string): ImportOf[] {
  const code = withoutComments(text);
  const found: ImportOf[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s+([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g))
    found.push({ specifier: m[2] as string, typeOnly: typesOnly((m[1] as string).trim()) });
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g))
    found.push({ specifier: m[1] as string, typeOnly: false });
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ specifier: m[1] as string, typeOnly: false });
  return found;
}
