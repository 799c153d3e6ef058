/**
 * Reading packs from disk: the one place that turns `packs/<name>/<version>/` folders into Packs. Core
 * stays free of I/O; this adapter reads the files and hands them to `parsePack`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '../core/catalog.ts';
import { isStrataError, StrataError } from '../core/errors.ts';
import type { Pack } from '../core/model.ts';
import { type PackFiles, type PackSource, parsePack } from '../core/pack.ts';

/**
 * Returns every pack below `dir` (one per `<name>/<version>/` folder holding a `pack.yaml`), validated,
 * by name then version. Throws `PackInvalid` when a folder's name or version disagrees with its pack.yaml,
 * and any parse error with the folder added to its details.
 */
export async function loadPackDirectory(dir: string, source: PackSource): Promise<Pack[]> {
  const packs: Pack[] = [];
  for (const name of await subdirectories(dir)) {
    for (const version of await subdirectories(join(dir, name))) {
      const folder = join(dir, name, version);
      const files = await readPackFiles(folder);
      let pack: Pack;
      try {
        pack = parsePack(files, source);
      } catch (error) {
        if (isStrataError(error)) {
          throw new StrataError(error.code, `${error.message} (in ${folder})`, {
            ...error.details,
            directory: folder,
          });
        }
        throw error;
      }
      if (pack.name !== name || pack.version !== version) {
        throw new StrataError(
          'PackInvalid',
          `Pack ${pack.name}@${pack.version} lives in ${folder}; its folder must be ${pack.name}/${pack.version}.`,
          { field: 'name', pack: pack.name, version: pack.version, directory: folder },
        );
      }
      packs.push(pack);
    }
  }
  return packs;
}

/** Returns the pack files of one `<name>/<version>/` folder; templates/ is optional. */
export async function readPackFiles(folder: string): Promise<PackFiles> {
  const manifest = await readFile(join(folder, 'pack.yaml'), 'utf8').catch((error: unknown) => {
    throw new StrataError('PackInvalid', `${folder} has no readable pack.yaml: ${(error as Error).message}`, {
      field: 'pack.yaml',
      directory: folder,
    });
  });
  const values = await readFile(join(folder, 'values.yaml'), 'utf8').catch(() => '');
  const templates: Record<string, string> = {};
  const templatesDir = join(folder, 'templates');
  if (existsSync(templatesDir)) {
    for (const entry of await readdir(templatesDir, { withFileTypes: true })) {
      if (entry.isFile() && /\.ya?ml$/.test(entry.name)) {
        templates[entry.name] = await readFile(join(templatesDir, entry.name), 'utf8');
      }
    }
  }
  return { manifest, values, templates };
}

/**
 * Returns the folder of the built-in catalog, found by walking up from this file to the package root
 * (the folder with package.json and packs/), so it works from a clone (src/catalog) and from a build
 * or an installed package (dist/src/catalog).
 */
export function builtinPacksDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'packs');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new StrataError(
        'Internal',
        `The built-in packs/ folder was not found above ${fileURLToPath(import.meta.url)}.`,
      );
    }
    dir = parent;
  }
}

// The built-in packs never change while a process runs; parse them once and share the immutable Packs.
let builtinPacks: Promise<Pack[]> | undefined;

/** Returns a new Catalog holding the built-in packs (parsed once per process; each call gets its own Catalog). */
export async function loadBuiltinCatalog(): Promise<Catalog> {
  builtinPacks ??= loadPackDirectory(builtinPacksDir(), 'builtin').catch((error: unknown) => {
    builtinPacks = undefined;
    throw error;
  });
  return new Catalog(await builtinPacks);
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}
