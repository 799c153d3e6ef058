#!/usr/bin/env node
/**
 * `npm run build:cli`: compiles src/ (all of it but the console, src/web) to JavaScript in build/, which the `strata`
 * command (bin/strata.js) and so `strata up` run from. build/X/Y.js stands where src/X/Y.ts does, at the same depth,
 * so every path a module finds relative to itself (package.json, packs/, dist/web, node_modules, sim/proto, the
 * sandbox's worker) resolves alike from either; files other than TypeScript and Markdown are copied along.
 *
 * The compiler is TypeScript's own `tsc -p tsconfig.build.json --noCheck` (rewriteRelativeImportExtensions turns
 * `./x.ts` imports into `./x.js`); type-checking is `npm run check`'s job, so a type error never stops `npm start`.
 * Then esbuild bundles what every `strata` start loads into build/cli/main.js (bundleStartup, below).
 *
 * scripts/build-stamp.mjs says when a build is stale; bin/strata.js checks that on every run in a clone.
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
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  BUILD_DIR,
  inputFingerprint,
  ROOT,
  SKIPPED_DIRS,
  SOURCE_DIR,
  STAMP,
  staleReason,
} from './build-stamp.mjs';

export { BUILD_DIR, ROOT, staleReason };

const LOCK = 'build.lock';

/** npm packages the startup bundle takes in (plain CommonJS that finds no files of its own); others stay external. */
const BUNDLED_PACKAGES = new Set(['commander']);

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

/** Returns every `.ts` file under src/ but src/web. */
function sourceFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(relative(root, path))) walk(path);
      } else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  walk(join(root, SOURCE_DIR));
  return files;
}

/**
 * Returns the src/cli modules that code outside the startup bundle loads too: those reachable, through static
 * imports, from a module outside src/cli or from any dynamic import. The bundle leaves them external, so each such
 * module exists once in a process (one output.ts, one writer it loaded). Read from the import lines of the sources;
 * a match too many only leaves a module out of the bundle.
 */
function modulesSharedWithLazyCode(root) {
  const cli = join(root, SOURCE_DIR, 'cli') + sep;
  const imports = new Map();
  const roots = [];
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const at = (specifier) => resolve(dirname(file), specifier);
    // `… from './x.ts'` and side-effect imports (`import './x.ts'`).
    const statics = text.matchAll(/(?:\bfrom|^\s*import)\s+'(\.{1,2}\/[^']+)'/gm);
    imports.set(
      file,
      [...statics].map((m) => at(m[1])),
    );
    for (const m of text.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) roots.push(at(m[1]));
    if (!file.startsWith(cli)) roots.push(file);
  }
  const reached = new Set();
  for (const stack = roots; stack.length > 0; ) {
    const file = stack.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    stack.push(...(imports.get(file) ?? []));
  }
  return new Set([...reached].filter((file) => file.startsWith(cli)));
}

/**
 * Bundles what every start loads — src/cli/main.ts, the src/cli modules it imports statically, and commander — into
 * `out`/cli/main.js with esbuild (in node_modules through tsx and vite), over tsc's main.js: Node then loads one file
 * where it loaded some twenty-five, which halves what a start costs beyond Node's own. All else stays external and
 * resolves to tsc's per-file build beside it: modules outside src/cli (so one StrataError class), dynamic imports
 * (what an action loads as it runs) and the src/cli modules lazily loaded code imports too. The bundle sits where
 * main.js did, so `import.meta.url` resolves as before in bundled modules of src/cli itself but not in those of its
 * subfolders (commands/): the build refuses those, and any external the bundle names that the build lacks.
 */
async function bundleStartup(root, out) {
  let esbuild;
  try {
    esbuild = await import(pathToFileURL(createRequire(join(root, 'package.json')).resolve('esbuild')).href);
  } catch {
    throw new Error(
      'esbuild (installed with tsx) is not in node_modules: run `npm install`, then `npm run build:cli`.',
    );
  }
  const cliDir = join(root, SOURCE_DIR, 'cli');
  const srcDir = join(root, SOURCE_DIR);
  const shared = modulesSharedWithLazyCode(root);
  const externalTo = (target) => {
    const path = relative(cliDir, target).replace(/\.ts$/, '.js');
    return { path: path.startsWith('.') ? path : `./${path}`, external: true };
  };
  const outfile = join(out, 'cli', 'main.js');
  const result = await (esbuild.default ?? esbuild).build({
    entryPoints: [join(cliDir, 'main.ts')],
    outfile,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
    // commander is CommonJS: its require() calls of Node's modules need a require in an ES module.
    banner: {
      js: "import { createRequire as strataCreateRequire } from 'node:module';\nconst require = strataCreateRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'strata-startup',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point' || !args.importer.startsWith(srcDir + sep)) return undefined;
            if (!args.path.startsWith('.')) {
              const bundled = BUNDLED_PACKAGES.has(args.path) && args.kind !== 'dynamic-import';
              return bundled ? undefined : { path: args.path, external: true };
            }
            const target = resolve(args.resolveDir, args.path);
            const inCli = target.startsWith(cliDir + sep);
            if (args.kind !== 'dynamic-import' && inCli && !shared.has(target)) return undefined;
            return externalTo(target);
          });
          build.onLoad({ filter: /\.ts$/ }, (args) => {
            const contents = readFileSync(args.path, 'utf8');
            if (dirname(args.path) !== cliDir && contents.includes('import.meta')) {
              return {
                errors: [
                  {
                    text: `${relative(root, args.path)} uses import.meta but would be bundled into build/cli/main.js; import it lazily (await import) or keep the lookup in a module of src/cli`,
                  },
                ],
              };
            }
            return { contents, loader: 'ts' };
          });
        },
      },
    ],
  });
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
  for (const imported of imports) {
    if (
      imported.external &&
      imported.path.startsWith('.') &&
      !existsSync(resolve(dirname(outfile), imported.path))
    ) {
      throw new Error(`the startup bundle imports ${imported.path}, which the build does not hold`);
    }
  }
}

/**
 * Builds build/ under `root` (only when missing or stale if `ifStale`) and returns what was done:
 * 'built' or 'fresh'. Throws an Error whose message says what failed (the compiler's output went to stderr).
 */
export async function buildCli({ root = ROOT, ifStale = false, log = (line) => console.error(line) } = {}) {
  const release = acquireLock(root, log);
  try {
    // Another process may have built while this one waited.
    if (ifStale && staleReason(root) === null) return 'fresh';
    // What a killed build left (the lock is this process's now, so no other build is using them).
    for (const name of readdirSync(root)) {
      if (/^build\.(next|old)-\d+$/.test(name)) rmSync(join(root, name), { recursive: true, force: true });
    }
    const inputs = inputFingerprint(root);
    const next = join(root, `${BUILD_DIR}.next-${process.pid}`);
    const started = Date.now();
    const tsc = spawnSync(
      process.execPath,
      [tscPath(root), '-p', join(root, 'tsconfig.build.json'), '--noCheck', '--outDir', next],
      // tsc reports errors on stdout; they go to stderr here, where a command's output does not mix with them.
      { cwd: root, stdio: ['ignore', 2, 2] },
    );
    try {
      if (tsc.status !== 0) {
        throw new Error(
          `tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal}); see its errors above.`,
        );
      }
      await bundleStartup(root, next);
    } catch (error) {
      rmSync(next, { recursive: true, force: true });
      throw error;
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
    const done = await buildCli({ ifStale });
    if (done === 'built') console.error(`strata: built ${BUILD_DIR}/ in ${Date.now() - started} ms.`);
  } catch (error) {
    console.error(`strata: the build failed: ${error.message}`);
    process.exit(1);
  }
}
