/**
 * Value paths a pack declares secret: listed in a Strata pack's pack.yaml, marked `format: password` or
 * `writeOnly` in a chart's values schema, a kustomize or manifest layer's secretGenerator literals. They hide a
 * value by its path as the credential key names do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePack } from '../../src/core/pack.ts';
import { chartPack, overlayPack } from '../../src/core/pack-kinds.ts';
import { declaredSecretPaths, SecretPaths, schemaSecretPaths } from '../../src/core/secret-paths.ts';
import { hideCredentialValues } from '../../src/core/values.ts';

describe('declared secret paths', () => {
  it('reads format: password and writeOnly properties of a values schema, through items, maps and branches', () => {
    const schema = JSON.stringify({
      type: 'object',
      properties: {
        admin: {
          type: 'object',
          properties: { passphrase: { type: 'string', format: 'password' }, user: {} },
        },
        users: { type: 'array', items: { properties: { key: { writeOnly: true } } } },
        extra: { additionalProperties: { format: 'password' } },
        alt: { oneOf: [{ properties: { pin: { format: 'password' } } }] },
        'odd.key': { format: 'password' },
        plain: { type: 'string' },
      },
    });
    assert.deepEqual(schemaSecretPaths(schema).sort(), [
      '["odd.key"]',
      'admin.passphrase',
      'alt.pin',
      'extra.*',
      'users.*.key',
    ]);
    assert.deepEqual(schemaSecretPaths('{not json'), []);
  });

  it('matches declared paths at and below them, * standing for one key or index', () => {
    const paths = new SecretPaths(['admin.passphrase', 'users.*.key', 'literals']);
    assert.equal(paths.covers(['admin', 'passphrase']), true);
    assert.equal(paths.covers('admin.passphrase.inner'), true);
    assert.equal(paths.covers('admin.user'), false);
    assert.equal(paths.covers('users[3].key'), true);
    assert.equal(paths.covers('users[3].name'), false);
    assert.equal(paths.mayMatch('a: 1\n'), false);
    assert.equal(paths.mayMatch('admin:\n  passphrase: x\n'), true);
  });

  it('hides a declared path of a values text, keeping comments and the other values', () => {
    const text =
      'admin:\n  # the admin passphrase\n  passphrase: swordfish-1234\n  user: root\nusers:\n  - name: a\n    key: k-aaaaaaaa\n';
    const hidden = hideCredentialValues(text, new SecretPaths(['admin.passphrase', 'users.*.key']));
    assert.equal(
      hidden,
      'admin:\n  # the admin passphrase\n  passphrase: (hidden)\n  user: root\nusers:\n  - name: a\n    key: (hidden)\n',
    );
    assert.equal(hideCredentialValues(text), text, 'without declared paths nothing here is a credential key');
  });

  it('takes the paths from pack.yaml, a chart schema and an overlay kind; refuses a path that does not parse', () => {
    const strata = parsePack(
      {
        manifest:
          'name: vaultish\nversion: 1.0.0\nlayer: addon\ndisplayName: V\nsecretPaths: [admin.passphrase]\n',
        values: 'admin:\n  passphrase: x\n',
        templates: {},
      },
      'user',
    );
    assert.deepEqual(declaredSecretPaths(strata), ['admin.passphrase']);
    assert.throws(
      () =>
        parsePack(
          {
            manifest: "name: bad\nversion: 1.0.0\nlayer: addon\ndisplayName: B\nsecretPaths: ['a[\"x']\n",
            values: 'a: 1\n',
            templates: {},
          },
          'user',
        ),
      (e: Error & { code?: string; details?: { field?: string } }) =>
        e.code === 'PackInvalid' && e.details?.field === 'secretPaths[0]',
    );
    const chart = chartPack(
      {
        name: 'c',
        version: '0.1.0',
        values: 'pw: x\n',
        valuesSchema: JSON.stringify({ properties: { pw: { format: 'password' } } }),
      } as Parameters<typeof chartPack>[0],
      { digest: 'sha256:0', media: 'helm-chart', size: 1 },
      { type: 'upload', digest: 'sha256:0' },
    );
    assert.deepEqual(declaredSecretPaths(chart), ['pw']);
    const overlay = overlayPack(
      'manifest',
      { digest: 'sha256:0', media: 'manifest', size: 1 },
      { type: 'upload', digest: 'sha256:0' },
      { name: 'm', version: '1.0.0' },
    );
    assert.deepEqual(declaredSecretPaths(overlay), ['secretGenerator.*.literals']);
  });
});
