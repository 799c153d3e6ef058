#!/usr/bin/env node
// `npm start`: installs dependencies on a fresh clone, builds the web console when it is missing or older than
// its sources (`npm run build`) and the CLI when its build is missing or stale (`npm run build:cli`), then starts
// Strata (`strata up`) on embedded defaults.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.log('strata: installing dependencies (first start)…');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

/** The newest modification time of any file under `dir` (0 when there is none). */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const mtime = statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

const builtIndex = join(root, 'dist', 'web', 'index.html');
const sources = join(root, 'src', 'web');
// An installed package has no src/web: its console ships built.
const reason = !existsSync(sources)
  ? null
  : !existsSync(builtIndex)
    ? 'not built yet'
    : statSync(builtIndex).mtimeMs < newestMtime(sources)
      ? 'older than its sources in src/web'
      : null;
if (reason) {
  console.log(`strata: building the web console (${reason}): npm run build…`);
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('strata: the console build failed; the REST API still starts, `/` says how to build it.');
  }
}

// bin/strata.js would rebuild a stale CLI too; building here says so before the server's output starts.
if (existsSync(join(root, 'scripts', 'build-cli.mjs'))) {
  const cli = spawnSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs'), '--if-stale'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (cli.status !== 0) process.exit(cli.status ?? 1);
}

const up = spawnSync(process.execPath, [join(root, 'bin', 'strata.js'), 'up', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(up.status ?? 1);
