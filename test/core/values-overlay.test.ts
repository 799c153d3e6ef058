import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overlayValues } from '../../src/core/values-overlay.ts';

const base = [
  '# Defaults of a demo chart.',
  'replicaCount: 1',
  'image:',
  '  # The image to run.',
  '  repository: ghcr.io/demo/app',
  '  tag: "1.0.0"',
  'ports: [8080, 9090]',
  'extra:',
  '  debug: true',
  '',
].join('\n');

describe('overlayValues (an override laid over a layer)', () => {
  it('sets what the overlay sets and keeps every other value and comment', () => {
    const out = overlayValues(base, 'replicaCount: 3\nimage:\n  tag: "1.1.0"\n', 'overrides.demo');
    assert.equal(out, base.replace('replicaCount: 1', 'replicaCount: 3').replace('"1.0.0"', '"1.1.0"'));
  });

  it('replaces lists whole, removes keys set to null, and adds new keys at the end of their map', () => {
    const out = overlayValues(
      base,
      'ports: [80]\nextra:\n  debug: null\n  level: info\nnew: 1\n',
      'overrides.demo',
    );
    assert.match(out, /^ports: \[ 80 \]$|^ports: \[80\]$/m);
    assert.doesNotMatch(out, /debug/);
    assert.match(out, /extra:\n {2}level: info\nnew: 1\n$/);
    assert.match(out, /# The image to run\./);
  });

  it('leaves the layer as it is for an empty overlay, and refuses one that is not values', () => {
    assert.equal(overlayValues(base, '', 'overrides.demo'), base);
    assert.throws(() => overlayValues(base, '- a list\n', 'overrides.demo'), { code: 'InvalidYaml' });
  });
});
