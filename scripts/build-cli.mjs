#!/usr/bin/env node
/**
 * `npm run build:cli`: compiles src/ (all of it but the console, src/web) to JavaScript in build/, which the `strata`
 * command (bin/strata.js) and so `strata up` run from. build/X/Y.js stands where src/X/Y.ts does, at the same depth,
 * so every path a module finds relative to itself (package.json, packs/, dist/web, node_modules, sim/proto, the
 * sandbox's worker) resolves alike from either; files other than TypeScript and Markdown are copied along.
 *
 * The compiler is TypeScript's own `tsc -p tsconfig.build.json --noCheck` (rewriteRelativeImportExtensions turns
 * `./x.ts` imports into `./x.js`); type-checking is `npm run check`'s job, so a type error never stops `npm start`.
 *
 * How a stale build is told (the rule bin/strata.js applies on every run in a clone): the build records a
 * fingerprint of its inputs in build/.stamp.json — how many files and folders there are, their total size and the
 * newest modification time among them. The inputs are src/ without src/web, package.json, tsconfig.json,
 * tsconfig.build.json and this script. A run takes the same fingerprint with one `stat` per input (about 230; no
 * file is read or hashed) and the build is stale when the two differ: an edit changes the newest time, an added,
 * removed or renamed file changes the count or its folder's time, an older copy put back changes the size. An
 * installed package (no src/) runs the build it shipped with, unchecked.
 *
 * `node scripts/build-cli.mjs` always builds; `--if-stale` builds only a missing or stale build (npm start, npm test).
 * The compiler writes to a fresh folder that then replaces build/ whole, under a lock, so concurrent runs never see a
 * half-written build and removed sources leave no stale modules behind.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder of package.json). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the compiled JavaScript goes. */
export const BUILD_DIR = 'build';
const STAMP = '.stamp.json';
const LOCK = 'build.lock';
const INPUT_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build-cli.mjs'];
const SOURCE_DIR = 'src';
const SKIPPED_DIRS = new Set([join('src', 'web')]);

/**
 * Returns the fingerprint of the build's inputs under `root`: the number of files and folders, their total size
 * in bytes, the newest modification time (ms) and the input that has it (relative to `root`).
 */
export function inputFingerprint(root = ROOT) {
  const fp = { entries: 0, bytes: 0, newest: 0, newestPath: '' };
  const add = (path, stats) => {
    fp.entries += 1;
    if (stats.isFile()) fp.bytes += stats.size;
    if (stats.mtimeMs > fp.newest) {
      fp.newest = stats.mtimeMs;
      fp.newestPath = relative(root, path);
    }
  };
  const walk = (dir) => {
    add(dir, statSync(dir));
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(relative(root, path))) walk(path);
      } else {
        add(path, statSync(path));
      }
    }
  };
  walk(join(root, SOURCE_DIR));
  for (const file of INPUT_FILES) {
    const path = join(root, file);
    if (existsSync(path)) add(path, statSync(path));
  }
  return fp;
}

/** Returns the fingerprint build/.stamp.json recorded, or null when there is no (readable) stamp. */
function readStamp(root) {
  try {
    return JSON.parse(readFileSync(join(root, BUILD_DIR, STAMP), 'utf8')).inputs ?? null;
  } catch {
    return null;
  }
}

/** Returns why the build under `root` cannot run as it is (a phrase for a message), or null when it is current. */
export function staleReason(root = ROOT) {
  const built = readStamp(root);
  if (!built) return `there is no build in ${BUILD_DIR}/ yet`;
  const now = inputFingerprint(root);
  if (now.entries === built.entries && now.bytes === built.bytes && now.newest === built.newest) return null;
  if (now.newest > built.newest) return `${now.newestPath} changed after the last build`;
  return 'sources were added, removed or replaced since the last build';
}

/** Returns the path of `tsc` in node_modules; throws a message saying what to install when it is missing. */
function tscPath(root) {
  try {
    const pkg = createRequire(join(root, 'package.json')).resolve('typescript/package.json');
    return join(dirname(pkg), 'bin', 'tsc');
  } catch {
    throw new Error(
      'TypeScript (a devDependency) is not installed here: run `npm install`, then `npm run build:cli`.',
    );
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Takes the build lock (a folder holding the owner's pid), waiting for another build to finish; returns a release. */
function acquireLock(root, log) {
  const lock = join(root, LOCK);
  const deadline = Date.now() + 300_000;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // Just made, pid not written yet: wait like for any owner.
    }
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`another build has held ${LOCK} for 5 minutes; remove it if it is left over.`);
    if (!told) {
      log(`strata: waiting for another build of ${BUILD_DIR}/ to finish…`);
      told = true;
    }
    sleep(100);
  }
}

/** Copies every file under src/ (but src/web) that is neither TypeScript nor Markdown into `out`, keeping paths. */
function copyAssets(root, out) {
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(join(root, SOURCE_DIR), path);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(relative(root, path))) walk(path);
      } else if (!/\.(ts|md)$/.test(entry.name)) {
        mkdirSync(dirname(join(out, rel)), { recursive: true });
        cpSync(path, join(out, rel));
      }
    }
  };
  walk(join(root, SOURCE_DIR));
}

/**
 * Builds build/ under `root` (only when missing or stale if `ifStale`) and returns what was done:
 * 'built' or 'fresh'. Throws an Error whose message says what failed (the compiler's output went to stderr).
 */
export function buildCli({ root = ROOT, ifStale = false, log = (line) => console.error(line) } = {}) {
  const release = acquireLock(root, log);
  try {
    // Another process may have built while this one waited.
    if (ifStale && staleReason(root) === null) return 'fresh';
    const inputs = inputFingerprint(root);
    const next = join(root, `${BUILD_DIR}.next-${process.pid}`);
    rmSync(next, { recursive: true, force: true });
    const started = Date.now();
    const tsc = spawnSync(
      process.execPath,
      [tscPath(root), '-p', join(root, 'tsconfig.build.json'), '--noCheck', '--outDir', next],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (tsc.status !== 0) {
      rmSync(next, { recursive: true, force: true });
      throw new Error(
        `tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal}); see its errors above.`,
      );
    }
    copyAssets(root, next);
    writeFileSync(
      join(next, STAMP),
      `${JSON.stringify({ builtAt: new Date().toISOString(), ms: Date.now() - started, inputs }, null, 2)}\n`,
    );
    const old = join(root, `${BUILD_DIR}.old-${process.pid}`);
    const current = join(root, BUILD_DIR);
    if (existsSync(current)) renameSync(current, old);
    renameSync(next, current);
    rmSync(old, { recursive: true, force: true });
    return 'built';
  } finally {
    release();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  try {
    const reason = ifStale ? staleReason() : 'asked to';
    if (reason === null) process.exit(0);
    const started = Date.now();
    console.error(`strata: building the CLI into ${BUILD_DIR}/ (${reason})…`);
    const done = buildCli({ ifStale });
    if (done === 'built') console.error(`strata: built ${BUILD_DIR}/ in ${Date.now() - started} ms.`);
  } catch (error) {
    console.error(`strata: the build failed: ${error.message}`);
    process.exit(1);
  }
}
