import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../src/core/errors.ts';
import type { ClusterSpec } from '../../src/core/model.ts';
import {
  attachesTarget,
  matchesSelector,
  parseSelector,
  rolloutProfileRefs,
  waveOf,
  waveSizes,
} from '../../src/core/rollout.ts';

const spec = (profiles: ClusterSpec['profiles']) => ({ profiles }) as ClusterSpec;

describe('rollout waves', () => {
  it('starts with the canary and grows each wave, the last one what is left', () => {
    assert.deepEqual(waveSizes(0, 1, 4), []);
    assert.deepEqual(waveSizes(1, 1, 4), [1]);
    assert.deepEqual(waveSizes(30, 1, 4), [1, 4, 16, 9]);
    assert.deepEqual(waveSizes(6, 2, 2), [2, 4]);
  });

  it('gives every cluster position the wave it falls in', () => {
    const at = waveOf([1, 4, 16, 9]);
    assert.deepEqual([0, 1, 4, 5, 20, 21, 29].map(at), [1, 2, 2, 3, 3, 4, 4]);
  });
});

describe('rollout selectors', () => {
  it('matches clusters whose labels include every pair', () => {
    const selector = parseSelector('env=prod, region=eu');
    assert.deepEqual(selector, { env: 'prod', region: 'eu' });
    assert.equal(matchesSelector({ env: 'prod', region: 'eu', team: 'a' }, selector), true);
    assert.equal(matchesSelector({ env: 'prod' }, selector), false);
    assert.deepEqual(parseSelector(undefined), {});
  });

  it('refuses a malformed pair naming the selector field', () => {
    assert.throws(
      () => parseSelector('env'),
      (e: unknown) => isStrataError(e) && e.code === 'ValidationFailed' && e.details['field'] === 'selector',
    );
  });
});

describe('rollout target', () => {
  const to = { profile: 'web', version: '2.0.0', revision: 3 };

  it('counts a cluster at the target once it attaches the target version at or past its revision', () => {
    assert.equal(attachesTarget([{ name: 'web', version: '2.0.0', revision: 3 }], to), true);
    assert.equal(attachesTarget([{ name: 'web', version: '2.0.0', revision: 4 }], to), true);
    assert.equal(attachesTarget([{ name: 'web', version: '2.0.0', revision: 2 }], to), false);
    assert.equal(attachesTarget([{ name: 'web', version: '1.0.0', revision: 9 }], to), false);
  });

  it('swaps the source version for the target and keeps the other profiles', () => {
    const cluster = spec([
      { name: 'base', version: '1.0.0', revision: 1 },
      { name: 'web', version: '1.0.0', revision: 2 },
    ]);
    const from = { profile: 'web', version: '1.0.0' };
    assert.deepEqual(rolloutProfileRefs(cluster, from, to), ['base@1.0.0', 'web@2.0.0']);
    assert.equal(rolloutProfileRefs(cluster, { profile: 'web', version: '0.9.0' }, to), null);
  });
});
