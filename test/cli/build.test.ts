/**
 * The compiled `strata` (build/, made by scripts/build-cli.mjs): it starts from JavaScript without TypeScript or
 * the heavy dependencies a command does not use, and a build older than its sources is rebuilt before it runs, or
 * refused with exit 2 and the command to run, never run stale. The staleness cases run in a temporary copy of the
 * clone (bin/, scripts/, src/ without the console, package.json, tsconfig*.json) so this clone's build is untouched.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inputFingerprint, staleReason } from '../../scripts/build-stamp.mjs';

const root = new URL('../..', import.meta.url).pathname;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node [nodeArgs] <dir>/bin/strata.js args…` and resolves with its outcome and wall time. */
function strata(
  dir: string,
  args: string[],
  nodeArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, join(dir, 'bin', 'strata.js'), ...args], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/**
 * A preload that records every module a run loads: the URLs the ESM loader resolves (from its hooks thread) and,
 * at exit, Node's internal modules (`fetch`'s undici shows there), one per line in `traceFile`.
 */
function writeTracer(dir: string, traceFile: string): string {
  const hooks = join(dir, 'trace-hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(traceFile)}, result.url + '\\n');
  return result;
}
`,
  );
  const preload = join(dir, 'trace.mjs');
  writeFileSync(
    preload,
    `import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
register(${JSON.stringify(new URL(`file://${hooks}`).href)});
process.on('exit', () => appendFileSync(${JSON.stringify(traceFile)}, process.moduleLoadList.join('\\n') + '\\n'));
`,
  );
  return preload;
}

describe('the compiled strata command', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'strata-build-'));
    // run-tests.mjs built build/ before the tests; a stale one would be rebuilt by the first run, not measured.
    assert.equal(staleReason(), null, 'build/ is current');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('answers --version and --help with exit 0 quickly, from build/ and without TypeScript', async () => {
    const runs: Run[] = [];
    for (let i = 0; i < 5; i += 1) runs.push(await strata(root, ['--version']));
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
      assert.equal(r.stderr, '');
    }
    const help = await strata(root, ['--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['up', 'pack', 'profile', 'cluster', 'rollout', 'token', 'completion']) {
      assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `--help lists ${command}`);
    }
    // The tsx start took 1.1 s on an idle 2-core machine; the build takes a tenth. A bound far above the latter
    // still catches a return to running TypeScript, without failing on a busy machine.
    const median = runs.map((r) => r.ms).sort((a, b) => a - b)[2]!;
    assert.ok(median < 1000, `strata --version took ${Math.round(median)} ms (median of 5)`);
  });

  it('loads only what a command needs: --help no yaml, zod, store, server or HTTP stack; cluster list no yaml', async () => {
    const heavy = [
      '/yaml/',
      '/zod/',
      '/kysely/',
      '/pg/',
      '/@electric-sql/',
      '/tar-stream/',
      '/fastify/',
      '/tsx/',
    ];
    const loaded = async (args: string[]) => {
      const traceFile = join(work, `trace-${args.join('-')}.txt`);
      const r = await strata(root, args, ['--import', writeTracer(work, traceFile)], {
        // Nothing listens here: cluster list fails with Unavailable after it sent its request.
        STRATA_URL: 'http://127.0.0.1:9',
      });
      return { r, modules: readFileSync(traceFile, 'utf8').split('\n').filter(Boolean) };
    };
    const help = await loaded(['--help']);
    assert.equal(help.r.code, 0, help.r.stderr);
    assert.ok(
      help.modules.some((m) => m.endsWith('/build/cli/main.js')),
      'runs build/cli/main.js',
    );
    // The start is one bundle (scripts/build-cli.mjs, bundleStartup) with commander and the command tree in it,
    // and the modules it shares with code loaded lazily (strata up's demo.ts names the demo, as up's help does).
    assert.deepEqual(
      help.modules.filter((m) => m.includes('/build/')).sort(),
      ['cli/demo-names.js', 'cli/main.js', 'core/errors.js'].map((m) => `file://${root}build/${m}`),
      'the bundle and the modules it shares, nothing else from build/',
    );
    assert.ok(!help.modules.some((m) => m.includes('/node_modules/commander/')), 'commander is bundled');
    assert.deepEqual(
      help.modules.filter((m) => m.endsWith('.ts')),
      [],
      'no TypeScript is loaded',
    );
    for (const name of heavy) {
      assert.ok(
        !help.modules.some((m) => m.includes(`/node_modules${name}`)),
        `--help does not load ${name}`,
      );
    }
    assert.ok(!help.modules.some((m) => m.includes('undici')), '--help does not load fetch');
    assert.ok(
      !help.modules.some((m) => /\/build\/(store|api|engine|sim|render)\//.test(m)),
      'no server module',
    );

    const list = await loaded(['cluster', 'list']);
    assert.equal(list.r.code, 1);
    assert.match(
      list.r.stderr,
      /Cannot reach Strata at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\).*\[Unavailable\]/,
    );
    for (const name of heavy) {
      assert.ok(
        !list.modules.some((m) => m.includes(`/node_modules${name}`)),
        `cluster list does not load ${name}`,
      );
    }
    assert.ok(!list.modules.some((m) => m.includes('undici')), 'cluster list asks over node:http, not fetch');
    assert.deepEqual(
      list.modules.filter((m) => m.includes('/build/')).sort(),
      ['cli/demo-names.js', 'cli/main.js', 'core/errors.js'].map((m) => `file://${root}build/${m}`),
      'cluster list loads what --help loads',
    );
  });

  describe('a stale build (in a temporary copy of the clone)', () => {
    let copy: string;
    before(() => {
      copy = join(work, 'clone');
      mkdirSync(copy);
      for (const entry of ['bin', 'scripts', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
        cpSync(join(root, entry), join(copy, entry), {
          recursive: true,
          filter: (path) => !path.startsWith(join(root, 'src', 'web')),
        });
      }
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    });

    /** Sets a file's modification time to now, as an edit would. */
    const touch = (file: string) => {
      const now = new Date();
      utimesSync(join(copy, file), now, now);
    };

    it('is built on the first run, then runs as built without a word', async () => {
      const first = await strata(copy, ['--version']);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout.trim(), version);
      assert.match(
        first.stderr,
        /^strata: rebuilding build\/ \(there is no build in build\/ yet\): npm run build:cli…$/m,
      );
      assert.equal(staleReason(copy), null);
      const second = await strata(copy, ['--version']);
      assert.equal(second.code, 0);
      assert.equal(second.stderr, '', 'a current build runs without rebuilding');
    });

    it('is rebuilt when a source changed, and runs the new code', async () => {
      const program = join(copy, 'src', 'cli', 'program.ts');
      writeFileSync(
        program,
        readFileSync(program, 'utf8').replace(
          "'Strata: layered cluster profiles",
          "'Strata (edited after the build): layered cluster profiles",
        ),
      );
      touch('src/cli/program.ts');
      assert.equal(staleReason(copy), 'src/cli/program.ts changed after the last build');
      const r = await strata(copy, ['--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /rebuilding build\/ \(src\/cli\/program\.ts changed after the last build\)/);
      assert.match(r.stdout, /^Strata \(edited after the build\): layered cluster profiles/m);
    });

    it('is stale when a file is added, removed or renamed, or an older copy is put back', () => {
      assert.equal(staleReason(copy), null);
      const built = inputFingerprint(copy);
      writeFileSync(join(copy, 'src', 'cli', 'extra.ts'), 'export const extra = 1;\n');
      assert.notEqual(staleReason(copy), null, 'a file added');
      rmSync(join(copy, 'src', 'cli', 'extra.ts'));
      // Gone again, but its folder's time moved: still not the build's inputs.
      assert.notEqual(staleReason(copy), null, 'a file added and removed');
      renameSync(join(copy, 'src', 'cli', 'duration.ts'), join(copy, 'src', 'cli', 'duration2.ts'));
      renameSync(join(copy, 'src', 'cli', 'duration2.ts'), join(copy, 'src', 'cli', 'duration.ts'));
      assert.notEqual(staleReason(copy), null, 'a file renamed');
      // An older copy put back (a restore keeping times): the newest time does not move, the size does.
      const old = new Date(built.newest - 3_600_000);
      writeFileSync(join(copy, 'src', 'cli', 'duration.ts'), '// older\n');
      utimesSync(join(copy, 'src', 'cli', 'duration.ts'), old, old);
      utimesSync(join(copy, 'src', 'cli'), old, old);
      assert.equal(
        staleReason(copy),
        'sources were added, removed or replaced since the last build',
        'an older copy put back',
      );
      cpSync(join(root, 'src', 'cli', 'duration.ts'), join(copy, 'src', 'cli', 'duration.ts'));
    });

    it('is refused with exit 2 when the rebuild fails, and the stale code does not run', async () => {
      touch('src/cli/duration.ts');
      const r0 = await strata(copy, ['--version']);
      assert.equal(r0.code, 0, r0.stderr);
      assert.match(r0.stderr, /rebuilding build\/ \(src\/cli\/duration\.ts changed after the last build\)/);
      writeFileSync(join(copy, 'src', 'cli', 'duration.ts'), 'export const broken = ;\n');
      touch('src/cli/duration.ts');
      const r = await strata(copy, ['--version']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '', 'nothing ran');
      assert.match(r.stderr, /src\/cli\/duration\.ts/, 'the compiler names the file');
      assert.match(
        r.stderr,
        /strata: cannot run: the build is stale and rebuilding it failed: tsc -p tsconfig\.build\.json failed/,
      );
      assert.match(r.stderr, /run `npm run build:cli`/);
      assert.notEqual(staleReason(copy), null, 'still stale: a later run tries again');
    });

    it('is refused with exit 2 and what to install when TypeScript is not there to rebuild it', async () => {
      cpSync(join(root, 'src', 'cli', 'duration.ts'), join(copy, 'src', 'cli', 'duration.ts'));
      touch('src/cli/duration.ts');
      // node_modules without TypeScript (as after `npm ci --omit=dev`), with what the CLI itself needs.
      rmSync(join(copy, 'node_modules'));
      mkdirSync(join(copy, 'node_modules'));
      symlinkSync(join(root, 'node_modules', 'commander'), join(copy, 'node_modules', 'commander'), 'dir');
      const r = await strata(copy, ['--version']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /TypeScript \(a devDependency\) is not installed here: run `npm install`, then `npm run build:cli`/,
      );
      rmSync(join(copy, 'node_modules'), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    });

    it('refuses to bundle a module of a subfolder of src/cli that finds files from import.meta', async () => {
      const errors = join(copy, 'src', 'cli', 'commands', 'tokens.ts');
      const original = readFileSync(errors, 'utf8');
      writeFileSync(errors, `${original}\nexport const here = import.meta.url;\n`);
      const r = await strata(copy, ['--version']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /src\/cli\/commands\/tokens\.ts uses import\.meta but would be bundled into build\/cli\/main\.js/,
      );
      writeFileSync(errors, original);
    });

    it('is rebuilt for runs that find it stale at the same time, leaving one build', async () => {
      touch('src/cli/duration.ts');
      const runs = await Promise.all([1, 2, 3].map(() => strata(copy, ['--version'])));
      for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), version);
      }
      assert.equal(staleReason(copy), null);
      const stamp = JSON.parse(readFileSync(join(copy, 'build', '.stamp.json'), 'utf8')) as {
        builtAt: string;
      };
      assert.ok(stamp.builtAt, 'the build recorded its inputs');
      assert.deepEqual(
        readdirSync(copy).filter((f) => f.startsWith('build')),
        ['build'],
        'no lock or half-made build is left behind',
      );
    });
  });
});
