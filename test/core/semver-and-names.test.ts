import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDnsLabel, requireDnsLabel } from '../../src/core/names.ts';
import { isStrictSemver, minorOf, requireStrictSemver } from '../../src/core/semver.ts';

test('accepts strict semantic versions only', () => {
  for (const ok of ['1.2.3', '0.0.1', '1.30.10', '2.0.0-rc.1', '1.0.0+build.5'])
    assert.equal(isStrictSemver(ok), true, ok);
  for (const bad of ['v1.2', '1.2', '2.2.2.develop', 'v1.2.3', '1', '', ' 1.2.3', '01.2.3', 'latest']) {
    assert.equal(isStrictSemver(bad), false, bad);
  }
});

test('an invalid version is refused with InvalidSemver naming the field', () => {
  assert.throws(
    () => requireStrictSemver('v1.2', 'profile version'),
    (e: Error & { code?: string; details?: Record<string, unknown> }) =>
      e.code === 'InvalidSemver' &&
      /profile version/.test(e.message) &&
      e.details?.field === 'profile version',
  );
});

test('minorOf gives major.minor', () => {
  assert.equal(minorOf('1.30.10'), '1.30');
});

test('names are DNS-1123 labels', () => {
  for (const ok of ['cluster-update-deletion', 'a', 'a1', 'hello-universe-aws'])
    assert.equal(isDnsLabel(ok), true, ok);
  for (const bad of ['Cluster', '-a', 'a-', 'a_b', 'a.b', '', 'x'.repeat(64), '../etc'])
    assert.equal(isDnsLabel(bad), false, bad);
  assert.throws(() => requireDnsLabel('Bad_Name', 'cluster name'), /cluster name must be a DNS-1123 label/);
});
