/**
 * Whether build/ (the compiled CLI and server, scripts/build-cli.mjs) still matches its sources: the check
 * bin/strata.js makes on every run in a clone, so it stays small and imports nothing but node:fs and node:path.
 *
 * The rule: a build records a fingerprint of its inputs in build/.stamp.json — how many files and folders there
 * are, their total size and the newest modification time among them. The inputs are src/ without src/web,
 * package.json, package-lock.json, tsconfig.json, tsconfig.build.json and the two build scripts. A run takes the same fingerprint
 * with one `stat` per input (about 240; no file is read or hashed) and the build is stale when the two differ: an
 * edit changes the newest time, an added, removed or renamed file changes the count or its folder's time, an older
 * copy put back changes the size or the count. An installed package (no src/) runs the build it shipped with.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder of package.json). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the compiled JavaScript goes, relative to the root. */
export const BUILD_DIR = 'build';
/** The build's record of its inputs, inside BUILD_DIR. */
export const STAMP = '.stamp.json';
/** The folder of the sources, and those of its folders that are not compiled (the console has its own build). */
export const SOURCE_DIR = 'src';
export const SKIPPED_DIRS = new Set([join('src', 'web')]);
// package-lock.json: the startup bundle holds commander, so a dependency update rebuilds it.
const INPUT_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  join('scripts', 'build-cli.mjs'),
  join('scripts', 'build-stamp.mjs'),
];

/**
 * Returns the fingerprint of the build's inputs under `root`: the number of files and folders, their total size
 * in bytes, the newest modification time (ms) and the input that has it (relative to `root`).
 */
export function inputFingerprint(root = ROOT) {
  const fp = { entries: 0, bytes: 0, newest: 0, newestPath: '' };
  const skipped = new Set([...SKIPPED_DIRS].map((dir) => join(root, dir)));
  let newestPath = '';
  const add = (path, stats) => {
    fp.entries += 1;
    fp.bytes += stats.isFile() ? stats.size : 0;
    if (stats.mtimeMs > fp.newest) {
      fp.newest = stats.mtimeMs;
      newestPath = path;
    }
  };
  // Paths are joined by hand: this runs before every command, and path.join per entry costs more than the stat.
  const walk = (dir) => {
    add(dir, statSync(dir));
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (!entry.isDirectory()) add(path, statSync(path));
      else if (!skipped.has(path)) walk(path);
    }
  };
  walk(join(root, SOURCE_DIR));
  for (const file of INPUT_FILES) {
    const path = join(root, file);
    if (existsSync(path)) add(path, statSync(path));
  }
  fp.newestPath = relative(root, newestPath);
  return fp;
}

/** Returns the fingerprint build/.stamp.json recorded, or null when there is no readable stamp. */
function recordedFingerprint(root) {
  try {
    return JSON.parse(readFileSync(join(root, BUILD_DIR, STAMP), 'utf8')).inputs ?? null;
  } catch {
    return null;
  }
}

/** Returns why the build under `root` must not run as it is (a phrase for a message), or null when it is current. */
export function staleReason(root = ROOT) {
  const built = recordedFingerprint(root);
  if (!built) return `there is no build in ${BUILD_DIR}/ yet`;
  const now = inputFingerprint(root);
  if (now.entries === built.entries && now.bytes === built.bytes && now.newest === built.newest) return null;
  if (now.newest > built.newest) return `${now.newestPath} changed after the last build`;
  return 'sources were added, removed or replaced since the last build';
}
