import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StrataError } from '../../src/core/errors.ts';
import {
  copyProfileVersion,
  parseProfileFile,
  parseProfileRef,
  profileToDocument,
  reviseProfileVersion,
  validateProfileVersion,
} from '../../src/core/profile.ts';
import { valuesToObject } from '../../src/core/values.ts';
import { catalog, fullProfile, seedProfiles } from './fixtures.ts';

const hasCode = (code: string, pattern?: RegExp) => (e: unknown) =>
  (e as StrataError).code === code && (pattern === undefined || pattern.test((e as Error).message));

const seedFile = `
name: hello-universe-aws
version: 1.1.0
type: full
cloudType: sim
layers:
  - { pack: ubuntu, version: 22.4.5 }
  - { pack: kubernetes, version: 1.30.10 }
  - { pack: calico, version: 3.28.2 }
  - { pack: csi-hostpath, version: 1.14.1 }
  - pack: hello-universe
    version: 1.2.0
    presets: [enable-api]
`;

test('a profile file becomes a validated version at revision 1, layers without values taking pack defaults', () => {
  const pv = validateProfileVersion(parseProfileFile(seedFile), catalog);
  assert.equal(pv.revision, 1);
  assert.deepEqual(
    pv.layers.map((l) => l.pack),
    ['ubuntu', 'kubernetes', 'calico', 'csi-hostpath', 'hello-universe'],
  );
  const hu = pv.layers.at(-1)!;
  assert.deepEqual(hu.presets, ['enable-api']);
  // The preset's fragment is in the layer's values, with the pack's comments kept.
  assert.equal(
    (valuesToObject(hu.values, 'v') as { helloUniverse: { api: { port: number } } }).helloUniverse.api.port,
    3000,
  );
  assert.match(hu.values, /# /);
  const os = pv.layers[0]!;
  assert.equal(os.values, catalog.require('ubuntu', '22.4.5').values);
});

test('refuses versions that are not strict semver', () => {
  for (const bad of ['v1.2', '1.2', '2.2.2.develop']) {
    assert.throws(() => fullProfile(bad), hasCode('InvalidSemver'), bad);
  }
  assert.throws(
    () => fullProfile('1.0.0', { layers: { ubuntu: { version: '22.04' } } }),
    hasCode('InvalidSemver', /layers\[0\]\.version/),
  );
});

test('refuses names that are not DNS labels', () => {
  assert.throws(() => fullProfile('1.0.0', { name: 'Hello_Universe' }), hasCode('InvalidName'));
});

test('refuses an unknown pack or pack version, naming the known versions', () => {
  assert.throws(
    () => fullProfile('1.0.0', { layers: { kubernetes: { version: '1.28.0' } } }),
    hasCode('PackNotFound', /1\.29\.14/),
  );
  assert.throws(
    () => fullProfile('1.0.0', { layers: { nosuch: { version: '1.0.0' } } }),
    hasCode('PackNotFound'),
  );
});

test('a full profile needs exactly one os, k8s and cni layer, at most one csi', () => {
  assert.throws(
    () => fullProfile('1.0.0', { layers: { calico: null } }),
    hasCode('ProfileInvalid', /exactly one cni/),
  );
  assert.throws(
    () => fullProfile('1.0.0', { layers: { ubuntu: null } }),
    hasCode('ProfileInvalid', /exactly one os/),
  );
  // A CSI layer is optional.
  assert.equal(fullProfile('1.0.0', { layers: { 'csi-hostpath': null } }).layers.length, 4);
});

test('layers must go os → k8s → cni → csi → add-ons', () => {
  const doc = parseProfileFile(seedFile);
  [doc.layers[0], doc.layers[1]] = [doc.layers[1]!, doc.layers[0]!];
  assert.throws(() => validateProfileVersion(doc, catalog), hasCode('ProfileInvalid', /out of order/));
});

test('a pack may appear only once', () => {
  const doc = parseProfileFile(seedFile);
  doc.layers.push({ pack: 'hello-universe', version: '1.3.0' });
  assert.throws(() => validateProfileVersion(doc, catalog), hasCode('ProfileInvalid', /appears twice/));
});

test('an add-on profile holds add-ons only, and existing clusters take add-on profiles only', () => {
  const addon = validateProfileVersion(
    {
      name: 'apps',
      version: '1.0.0',
      type: 'addon',
      cloudType: 'existing',
      layers: [{ pack: 'hello-universe', version: '1.2.0' }],
    },
    catalog,
  );
  assert.equal(addon.type, 'addon');
  assert.throws(
    () =>
      validateProfileVersion(
        {
          name: 'apps',
          version: '1.0.0',
          type: 'addon',
          cloudType: 'sim',
          layers: [{ pack: 'ubuntu', version: '22.4.5' }],
        },
        catalog,
      ),
    hasCode('ProfileInvalid', /add-on layers only/),
  );
  const doc = parseProfileFile(seedFile);
  doc.cloudType = 'existing';
  assert.throws(() => validateProfileVersion(doc, catalog), hasCode('ProfileInvalid', /existing/));
});

test('unknown presets and malformed values are refused', () => {
  assert.throws(
    () => fullProfile('1.0.0', { layers: { 'hello-universe': { presets: ['nope'] } } }),
    hasCode('PresetUnknown'),
  );
  assert.throws(
    () => fullProfile('1.0.0', { layers: { 'hello-universe': { values: 'a: [unclosed' } } }),
    hasCode('InvalidYaml'),
  );
});

test('malformed profile files are refused with the field named', () => {
  assert.throws(
    () => parseProfileFile('name: x\nversion: 1.0.0\ntype: weird\nlayers: []'),
    hasCode('ValidationFailed', /type/),
  );
  assert.throws(
    () => parseProfileFile('- a list'),
    (e: unknown) => ['ValidationFailed', 'InvalidYaml'].includes((e as StrataError).code),
  );
  assert.throws(
    () => parseProfileFile('name: x\nversion: 1.0.0\ntype: full\nlayers: []'),
    hasCode('ValidationFailed', /layers/),
  );
});

test('copying a version makes a new semver at revision 1; editing in place makes the next revision', () => {
  const { v100 } = seedProfiles();
  const copy = copyProfileVersion(v100, '1.1.0');
  assert.equal(copy.version, '1.1.0');
  assert.equal(copy.revision, 1);
  assert.deepEqual(copy.layers, v100.layers);
  assert.throws(() => copyProfileVersion(v100, '1.0.0'), hasCode('AlreadyExists'));
  assert.throws(() => copyProfileVersion(v100, '1.1'), hasCode('InvalidSemver'));

  const edited = profileToDocument(v100);
  edited.layers[4] = { pack: 'hello-universe', version: '1.2.0', presets: ['enable-api'] };
  const r2 = reviseProfileVersion(v100, edited, catalog);
  assert.equal(r2.revision, 2);
  assert.deepEqual(r2.layers.at(-1)!.presets, ['enable-api']);
  const renamed = { ...profileToDocument(v100), version: '9.9.9' };
  assert.throws(
    () => reviseProfileVersion(v100, renamed, catalog),
    hasCode('ValidationFailed', /keeps the profile's name and version/),
  );
});

test('profile references parse as NAME@VERSION', () => {
  assert.deepEqual(parseProfileRef('hello-universe-aws@1.1.0'), {
    name: 'hello-universe-aws',
    version: '1.1.0',
  });
  assert.throws(() => parseProfileRef('hello-universe-aws'), hasCode('ValidationFailed'));
  assert.throws(() => parseProfileRef('hello@v1'), hasCode('InvalidSemver'));
});
