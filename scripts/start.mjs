#!/usr/bin/env node
// `npm start`: installs dependencies on a fresh clone, then starts Strata (`strata up`) on embedded defaults.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.log('strata: installing dependencies (first start)…');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
const up = spawnSync(process.execPath, [join(root, 'bin', 'strata.js'), 'up', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(up.status ?? 1);
