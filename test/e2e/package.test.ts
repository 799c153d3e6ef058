/**
 * Packaging (slow, but runs in CI): `npm pack` of a copy of the source tree (its `prepack` compiles the CLI and
 * server into build/ and builds the console into dist/web), then the tarball installed the way a user would get it, with no network. A plain
 * `npm install -g --offline <tarball>` needs registry metadata the local npm cache does not hold (an `npm ci`
 * clone caches tarballs only), so the test extracts the tarball, installs its production dependencies from the
 * cache with this repo's lockfile (`npm ci --offline --omit=dev`) and installs that folder globally into a temp
 * prefix (`npm install -g --offline --prefix`). The installed `strata` must answer `--version` and `--help`, list
 * packs from an in-process server, and start `strata up` with the console's files shipped — all from the compiled
 * build, since the package ships no TypeScript. `npx strata` works
 * from the clone.
 * (With network, a plain `npm install -g --prefix <tmp> strata-0.1.0.tgz` was also checked by hand: it installs
 * and runs.)
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningStrata, startStrata } from '../../src/main/up.ts';
import { type CommandResult, runStrata } from './support.ts';

const root = new URL('../..', import.meta.url).pathname;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function ok(r: CommandResult, what: string): CommandResult {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

describe('packaging: npm pack → install into a temp prefix → a working `strata`', {
  timeout: 900_000,
}, () => {
  let work: string;
  let tarball: string;
  let installed: string;
  let strataBin: string;
  let server: RunningStrata | undefined;
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'strata-pack-'));
  });
  after(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('`npx strata` runs the clone’s own command (no install, no network)', async () => {
    const r = ok(
      await run('npx', ['--offline', 'strata', '--version'], { cwd: root, env: npmEnv }),
      'npx strata',
    );
    assert.equal(r.stdout.trim(), version);
  });

  it('`npm pack` runs the builds (prepack) and ships the compiled CLI and server, the packs and dist/web', async () => {
    // A copy, so the build writes its own dist/web and never the one other tests are serving.
    const copy = join(work, 'src-copy');
    await mkdir(copy);
    for (const entry of [
      'bin',
      'src',
      'packs',
      'scripts',
      'docs',
      'README.md',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ]) {
      await cp(join(root, entry), join(copy, entry), { recursive: true });
    }
    await symlink(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const packed = ok(
      await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: copy, env: npmEnv }),
      'npm pack',
    );
    const info = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[$/m))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = join(work, info[0]!.filename);
    const files = info[0]!.files.map((f) => f.path);
    for (const expected of [
      'bin/strata.js',
      'build/cli/main.js',
      'build/main/up.js',
      'build/store/migrations.js',
      'build/render/sandbox/worker.js',
      'build/sim/proto/core.proto',
      'build/.stamp.json',
      'packs/hello-universe/1.2.0/pack.yaml',
      'dist/web/index.html',
      'README.md',
      'docs/cli.md',
      'package.json',
    ]) {
      assert.ok(files.includes(expected), `${expected} is in the tarball`);
    }
    assert.ok(!files.some((f) => f.startsWith('test/')), 'no tests in the tarball');
    assert.ok(
      !files.some((f) => f.startsWith('src/')),
      'the CLI, server and console ship built, not as sources',
    );
    assert.ok(!files.some((f) => f.endsWith('.ts')), 'no TypeScript in the tarball');
    assert.ok(!files.some((f) => f.startsWith('node_modules/')), 'no dependencies bundled');
  });

  it('installs from the tarball, offline, into a temp prefix, giving a `strata` command', async (t) => {
    assert.ok(tarball, 'the tarball was made');
    const extracted = join(work, 'extracted');
    await mkdir(extracted);
    ok(await run('tar', ['xzf', tarball, '-C', extracted], { cwd: work }), 'tar');
    const pkg = join(extracted, 'package');
    await cp(join(root, 'package-lock.json'), join(pkg, 'package-lock.json'));
    const ci = await run('npm', ['ci', '--offline', '--omit=dev', '--ignore-scripts'], {
      cwd: pkg,
      env: npmEnv,
    });
    if (ci.code !== 0) {
      // Only a cache miss (a dependency added since this machine's `npm ci`) may fall back, and it says so.
      assert.match(ci.stderr, /ENOTCACHED/, `npm ci --offline --omit=dev failed:\n${ci.stderr.slice(-3000)}`);
      t.diagnostic(
        "npm ci --offline: a dependency is not in the local npm cache; the package uses the clone's node_modules",
      );
      await rm(join(pkg, 'node_modules'), { recursive: true, force: true });
      await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    }
    const prefix = join(work, 'prefix');
    ok(
      await run('npm', ['install', '-g', '--offline', '--prefix', prefix, pkg], { cwd: work, env: npmEnv }),
      'npm install -g --offline --prefix',
    );
    installed = pkg;
    strataBin = join(prefix, 'bin', 'strata');
    const v = ok(await run(strataBin, ['--version'], { cwd: work }), 'strata --version');
    assert.equal(v.stdout.trim(), version);
    const help = ok(await run(strataBin, ['--help'], { cwd: work }), 'strata --help');
    for (const command of ['up', 'pack', 'profile', 'cluster', 'rollout', 'token']) {
      assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `--help lists ${command}`);
    }
  });

  it('the installed `strata pack list` talks to a running Strata', async () => {
    assert.ok(strataBin, 'strata is installed');
    const home = join(work, 'home-inproc');
    server = await startStrata({ home, port: 0, kubePort: 0, memory: true, databaseUrl: null });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STRATA_URL: server.apiUrl,
      STRATA_TOKEN: server.adminToken,
    };
    delete env.STRATA_HOME;
    const r = ok(await run(strataBin, ['pack', 'list'], { cwd: work, env }), 'strata pack list');
    assert.match(r.stdout, /^NAME\s+VERSION\s+LAYER/m);
    assert.match(r.stdout, /^hello-universe\s+1\.2\.0\s+addon\s+strata\s+built-in\s+enable-api$/m);
    assert.match(r.stdout, /^kubernetes\s+1\.30\.10\s+k8s \(pxk\)/m);
    // A wrong token is refused with its code, not a stack trace.
    const denied = await runStrata(
      ['pack', 'list'],
      { ...env, STRATA_TOKEN: 'nope' },
      { bin: join(installed, 'bin', 'strata.js') },
    );
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /\[Unauthorized\]$/m);
    await server.stop();
    server = undefined;
  });

  it('the installed `strata up` starts on a fresh home and serves the built console', async () => {
    assert.ok(strataBin, 'strata is installed');
    const home = join(work, 'home-up');
    const env: NodeJS.ProcessEnv = { ...process.env, STRATA_HOME: home };
    delete env.DATABASE_URL;
    const child = spawn(strataBin, ['up', '--port', '0', '--kube-port', '0'], { cwd: work, env });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const apiUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`strata up did not start:\n${log}`)), 180_000);
        child.stdout.on('data', () => {
          const m = /REST API:\s+(http\S+)\/v1/.exec(log);
          if (m && log.includes('Stop with Ctrl-C')) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`strata up exited with ${String(code)}:\n${log}`));
        });
      });
      const page = await fetch(`${apiUrl}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Strata<\/title>/);
      const openapi = await fetch(`${apiUrl}/v1/openapi.json`);
      assert.equal(openapi.status, 200);
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
      });
    }
  });
});
