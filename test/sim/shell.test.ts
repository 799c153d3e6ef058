/**
 * The simulated container shell and the SPDY dictionary without kubectl: scripts with quotes, `$VAR`, `;`,
 * `&&`, `||`; refusals of pipes; the SPDY/3 dictionary's size as the specification fixes it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerView } from '../../src/sim/container-view.ts';
import { SimShell, unixDate } from '../../src/sim/shell.ts';
import { SPDY_DICTIONARY } from '../../src/sim/spdy.ts';

const view: ContainerView = {
  pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
  container: 'c',
  image: 'nginx:1.27',
  hostname: 'p',
  env: [
    ['HOME', '/root'],
    ['A', 'one two'],
  ],
  files: new Map([['/etc/hostname', 'p\n']]),
  dirs: new Set(['/', '/etc', '/root']),
};

function run(script: string): { out: string; err: string; code: number } {
  let out = '';
  let err = '';
  const shell = new SimShell(view, () => Date.UTC(2026, 0, 4, 5, 6, 7));
  const code = shell.runArgv(['sh', '-c', script], {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });
  return { out, err, code };
}

describe('simulated shell', () => {
  test('quotes, variables and command lists', () => {
    assert.deepEqual(run(`echo "$A" '$A' \${A}x; echo $?`), {
      out: 'one two $A one twox\n0\n',
      err: '',
      code: 0,
    });
    assert.deepEqual(run('false && echo no || echo yes'), { out: 'yes\n', err: '', code: 0 });
    assert.deepEqual(run('cd /etc && pwd && cat hostname'), { out: '/etc\np\n', err: '', code: 0 });
    assert.deepEqual(run('exit 7; echo never'), { out: '', err: '', code: 7 });
  });

  test('unknown commands exit 127; pipes are refused', () => {
    assert.deepEqual(run('wget x'), { out: '', err: 'sh: wget: not found\n', code: 127 });
    assert.equal(run('echo a | cat').code, 2);
    assert.match(run('echo a | cat').err, /not supported by the simulated shell/);
  });

  test('date prints as coreutils does', () => {
    assert.equal(unixDate(Date.UTC(2026, 0, 4, 5, 6, 7)), 'Sun Jan  4 05:06:07 UTC 2026');
  });
});

describe('SPDY/3 dictionary', () => {
  test('is the 1423 bytes of the specification', () => {
    assert.equal(SPDY_DICTIONARY.length, 1423);
    assert.equal(SPDY_DICTIONARY.subarray(-6).toString(), 'enq=0.');
  });
});
