/**
 * `strata completion`: the script the real binary prints, loaded into a real bash, completes commands,
 * subcommands, flags and option values as a user typing would see.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;

function strata(args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin', 'strata.js'), ...args], { encoding: 'utf8' });
}

describe('strata completion', () => {
  const printed = strata(['completion']);
  const script = printed.stdout;

  /** What bash offers after typing `line` (the last word is the one being completed). */
  function complete(line: string): string[] {
    const words = line.split(' ');
    const program = [
      script,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_strata',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter((w) => w !== '');
  }

  it('prints a bash script and exits 0', () => {
    assert.equal(printed.status, 0, printed.stderr);
    assert.match(script, /^complete -F _strata strata$/m);
  });

  it('completes commands, subcommands, flags and choices', () => {
    assert.deepEqual(complete('strata clu'), ['cluster']);
    assert.deepEqual(complete('strata cluster repave a'), ['approve']);
    assert.deepEqual(complete('strata rollout p'), ['pause']);
    assert.ok(complete('strata cluster create web --').includes('--profile'));
    assert.deepEqual(complete('strata cluster list -o '), ['table', 'json', 'yaml']);
    assert.deepEqual(complete('strata -o y'), ['yaml']);
    // An argument that is not a subcommand does not change where completion is.
    assert.ok(complete('strata cluster plan my-cluster --').includes('--help'));
  });

  it('prints a zsh variant, and refuses other shells as a usage error', () => {
    const zsh = strata(['completion', 'zsh']);
    assert.equal(zsh.status, 0);
    assert.match(zsh.stdout, /bashcompinit/);
    const fish = strata(['completion', 'fish']);
    assert.equal(fish.status, 2);
    assert.match(fish.stderr, /Allowed choices are bash, zsh/);
  });
});
