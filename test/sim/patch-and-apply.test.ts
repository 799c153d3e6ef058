/** Patch flavours, server-side apply ownership and selectors, as pure functions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloneJson, type KubeObject } from '../../src/sim/kube-object.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../src/sim/patch.ts';
import { parseFieldSelector, parseLabelSelector } from '../../src/sim/selectors.ts';
import { serverSideApply } from '../../src/sim/server-side-apply.ts';

const base = {
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }] },
          { name: 'side', image: 'busybox:1' },
        ],
      },
    },
  },
};

test('a merge patch replaces lists and deletes keys set to null', () => {
  const out = applyMergePatch(base, {
    spec: { replicas: null, template: { spec: { containers: [{ name: 'only' }] } } },
  });
  assert.deepEqual(out, { spec: { template: { spec: { containers: [{ name: 'only' }] } } } });
});

test('a strategic merge patch merges containers by name and honours $patch: delete', () => {
  const out = applyStrategicMergePatch(base, {
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:2' },
            { name: 'side', $patch: 'delete' },
          ],
        },
      },
    },
  }) as typeof base;
  assert.deepEqual(out.spec.template.spec.containers, [
    { name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }] },
  ]);
});

test('a JSON patch applies operations and refuses a failed test', () => {
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '/b', value: 2 }]), { a: 1, b: 2 });
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), {
    code: 'ValidationFailed',
  });
});

const obj = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'd' },
  data,
});
const req = (manager: string, force = false) => ({
  manager,
  force,
  apiVersion: 'v1',
  time: '2026-01-01T00:00:00Z',
  withStatus: true,
});

test('server-side apply shares fields with equal values and refuses different ones unless forced', () => {
  const a = serverSideApply(undefined, obj({ x: '1', y: '2' }), req('a'));
  const shared = serverSideApply(a, obj({ x: '1' }), req('b'));
  assert.deepEqual(shared.metadata.managedFields?.map((m) => m.manager).sort(), ['a', 'b']);
  assert.throws(() => serverSideApply(shared, obj({ x: 'other' }), req('b')), /conflict with "a": \.data\.x/);
  const forced = serverSideApply(shared, obj({ x: 'other' }), req('b', true));
  assert.equal((forced['data'] as Record<string, string>)['x'], 'other');
});

test('server-side apply removes a field its manager stops applying, unless another manager owns it', () => {
  const a = serverSideApply(undefined, obj({ x: '1', y: '2' }), req('a'));
  assert.deepEqual(serverSideApply(a, obj({ x: '1' }), req('a'))['data'], { x: '1' });
  const both = serverSideApply(a, obj({ y: '2' }), req('b'));
  assert.deepEqual(serverSideApply(both, obj({ x: '1' }), req('a'))['data'], { x: '1', y: '2' });
});

test('label and field selectors match as kubectl expects', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { app: 'web', tier: 'fe' } },
    spec: { nodeName: 'n1' },
  };
  assert.ok(parseLabelSelector('app=web,tier in (fe,be),!canary')(pod));
  assert.ok(!parseLabelSelector('app!=web')(pod));
  assert.ok(parseFieldSelector('spec.nodeName=n1,metadata.name!=q')(pod));
  assert.ok(!parseFieldSelector('spec.nodeName=n2')(pod));
});

test('a cloned object shares nothing with the original, and a "__proto__" key stays data', () => {
  const original = JSON.parse('{"a":{"b":[1,{"c":"d"}]},"n":null,"__proto__":{"polluted":true}}');
  const copy = cloneJson(original);
  assert.deepEqual(copy, original);
  copy.a.b[1].c = 'changed';
  assert.equal(original.a.b[1].c, 'd');
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal(copy.polluted, undefined);
  assert.deepEqual(Object.keys(copy), ['a', 'n', '__proto__']);
});
