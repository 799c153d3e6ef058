/** The pack and profile routes through the real server and store: reads, registration, edits, history. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ClusterSpec } from '../../src/core/model.ts';
import { createCluster } from '../../src/store/clusters.ts';
import { forEachApiDriver, profileYaml } from './fixture.ts';

const userPack = (version: string, layer = 'addon') => ({
  manifest: `name: team-greeter\nversion: ${version}\nlayer: ${layer}\ndisplayName: Team greeter\ndescription: says hello\n`,
  values: 'greeter:\n  # The greeting.\n  message: hello\n',
  templates: {
    'configmap.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeter\n  namespace: default\ndata:\n  message: "{{ values.greeter.message }}"\n',
  },
});

function clusterSpec(name: string, profile: string, version: string, revision: number): ClusterSpec {
  return {
    name,
    cloudType: 'sim',
    profiles: [{ name: profile, version, revision }],
    overrides: {},
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}

forEachApiDriver((getFixture) => {
  it('lists packs, filters them by layer and name, and shows one version with its values', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const all = await f.call('GET', '/v1/packs');
    assert.equal(all.status, 200);
    const items = all.json.items as Array<{ name: string; layer: string }>;
    assert.ok(items.some((p) => p.name === 'hello-universe'));
    const k8s = await f.call('GET', '/v1/packs?layer=k8s', { token: f.tokens.viewer });
    assert.ok((k8s.json.items as Array<{ layer: string }>).every((p) => p.layer === 'k8s'));
    const calico = await f.call('GET', '/v1/packs?name=calico');
    assert.deepEqual(
      (calico.json.items as Array<{ version: string }>).map((p) => p.version),
      ['3.28.2', '3.29.1'],
    );
    const versions = await f.call('GET', '/v1/packs/kubernetes');
    assert.equal(versions.json.layer, 'k8s');
    const one = await f.call('GET', '/v1/packs/hello-universe/versions/1.2.0');
    assert.equal(one.status, 200);
    assert.match(String(one.json.values), /helloUniverse/);
    assert.equal((await f.call('GET', '/v1/packs/hello-universe/versions/9.9.9')).json.code, 'NotFound');
    assert.equal((await f.call('GET', '/v1/packs/nothing-here')).status, 404);
  });

  it('registers a user pack (admin only), adds it to the live catalog and refuses it twice', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const asOperator = await f.call('POST', '/v1/packs', {
      token: f.tokens.operator,
      body: userPack('1.0.0'),
    });
    assert.equal(asOperator.status, 403);
    assert.equal(asOperator.json.code, 'Forbidden');
    const made = await f.call('POST', '/v1/packs', { body: userPack('1.0.0') });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.source, 'user');
    assert.ok(f.catalog.get('team-greeter', '1.0.0'));
    const again = await f.call('POST', '/v1/packs', { body: userPack('1.0.0') });
    assert.equal(again.status, 409);
    assert.equal(again.json.code, 'AlreadyExists');
    const otherLayer = await f.call('POST', '/v1/packs', { body: userPack('1.1.0', 'csi') });
    assert.equal(otherLayer.json.code, 'PackInvalid');
    assert.equal(f.catalog.get('team-greeter', '1.1.0'), undefined);
    const badSemver = await f.call('POST', '/v1/packs', { body: userPack('1.0') });
    assert.equal(badSemver.status, 400);
    assert.equal(badSemver.json.code, 'InvalidSemver');
    const listed = await f.call('GET', '/v1/packs?name=team-greeter');
    assert.equal((listed.json.items as unknown[]).length, 1);
  });

  it('creates a profile from a YAML file and from JSON, and refuses a duplicate', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const yaml = await f.call('POST', '/v1/profiles', {
      token: f.tokens.operator,
      body: profileYaml('web', '1.0.0'),
    });
    assert.equal(yaml.status, 201, yaml.text);
    assert.equal(yaml.json.revision, 1);
    assert.equal(yaml.headers.etag, '"1"');
    const json = await f.call('POST', '/v1/profiles', {
      body: {
        name: 'addons',
        version: '0.1.0',
        type: 'addon',
        layers: [
          { pack: 'hello-universe', version: '1.2.0', values: { helloUniverse: { ui: { replicas: 3 } } } },
        ],
      },
    });
    assert.equal(json.status, 201, json.text);
    const dup = await f.call('POST', '/v1/profiles', { body: profileYaml('web', '1.0.0') });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.code, 'AlreadyExists');
    const unknownPack = await f.call('POST', '/v1/profiles', {
      body: profileYaml('web', '2.0.0').replace('pack: calico', 'pack: no-such-cni'),
    });
    assert.equal(unknownPack.status, 422);
    assert.equal(unknownPack.json.code, 'PackNotFound');
    const asViewer = await f.call('POST', '/v1/profiles', {
      token: f.tokens.viewer,
      body: profileYaml('web', '3.0.0'),
    });
    assert.equal(asViewer.status, 403);
    const list = await f.call('GET', '/v1/profiles', { token: f.tokens.viewer });
    assert.ok((list.json.items as Array<{ name: string }>).some((p) => p.name === 'web'));
    const versions = await f.call('GET', '/v1/profiles/web');
    assert.deepEqual(
      (versions.json.versions as Array<{ version: string }>).map((v) => v.version),
      ['1.0.0'],
    );
  });

  it('edits a version in place: two writers read revision 1, one wins and the other gets 409 Conflict', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    await f.call('POST', '/v1/profiles', { body: profileYaml('edit-me', '1.0.0') });
    const read = await f.call('GET', '/v1/profiles/edit-me/versions/1.0.0');
    const rv = read.json.resourceVersion as number;
    const [a, b] = await Promise.all([
      f.call('PUT', '/v1/profiles/edit-me/versions/1.0.0', {
        token: f.tokens.operator,
        body: profileYaml('edit-me', '1.0.0', { replicas: 2 }),
        headers: { 'if-match': `"${rv}"` },
      }),
      f.call('PUT', '/v1/profiles/edit-me/versions/1.0.0', {
        token: f.tokens.operator,
        body: `${profileYaml('edit-me', '1.0.0', { replicas: 5 })}resourceVersion: ${rv}\n`,
      }),
    ]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 409], `${a.text} ${b.text}`);
    const loser = a.status === 409 ? a : b;
    assert.equal(loser.json.code, 'Conflict');
    assert.deepEqual(
      { expected: loser.json.details?.expected, actual: loser.json.details?.actual },
      { expected: rv, actual: rv + 1 },
    );
    const winner = a.status === 200 ? a : b;
    assert.equal((winner.json.profile as { revision: number }).revision, 2);
    assert.match(String(winner.json.warning), /new version/);
    const missing = await f.call('PUT', '/v1/profiles/edit-me/versions/1.0.0', {
      body: profileYaml('edit-me', '1.0.0'),
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.details?.field, 'body.resourceVersion');
    const renamed = await f.call('PUT', '/v1/profiles/edit-me/versions/1.0.0', {
      body: profileYaml('edit-me', '1.0.1'),
      headers: { 'if-match': '2' },
    });
    assert.equal(renamed.json.code, 'ValidationFailed');
  });

  it('counts the clusters on an edited version, keeps every revision readable and diffs two of them', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    await f.call('POST', '/v1/profiles', { body: profileYaml('hist', '1.0.0') });
    await createCluster(f.store.db, { actor: 'test' }, clusterSpec('hist-a', 'hist', '1.0.0', 1));
    await createCluster(f.store.db, { actor: 'test' }, clusterSpec('hist-b', 'hist', '1.0.0', 1));
    const edited = await f.call('PUT', '/v1/profiles/hist/versions/1.0.0', {
      body: profileYaml('hist', '1.0.0', { api: true, replicas: 4 }),
      headers: { 'if-match': '"1"' },
    });
    assert.equal(edited.status, 200, edited.text);
    assert.equal(edited.json.clustersUsing, 2);
    const first = await f.call('GET', '/v1/profiles/hist/versions/1.0.0?revision=1');
    assert.equal(first.json.revision, 1);
    assert.equal(first.json.currentRevision, 2);
    assert.equal((await f.call('GET', '/v1/profiles/hist/versions/1.0.0?revision=7')).status, 404);
    const history = await f.call('GET', '/v1/profiles/hist/versions/1.0.0/revisions', {
      token: f.tokens.viewer,
    });
    assert.deepEqual(
      (history.json.items as Array<{ revision: number }>).map((r) => r.revision),
      [1, 2],
    );
    const diff = await f.call('GET', '/v1/profiles/hist/versions/1.0.0/revisions?from=1&to=2');
    const layers = diff.json.layers as Array<{
      pack: string;
      change: string;
      values: Array<{ path: string }>;
      presets: { enabled: string[] };
    }>;
    const hello = layers.find((l) => l.pack === 'hello-universe')!;
    assert.equal(hello.change, 'values');
    assert.ok(hello.values.some((v) => v.path === 'helloUniverse.ui.replicas'));
    assert.deepEqual(hello.presets.enabled, ['enable-api']);
    assert.equal(layers.find((l) => l.pack === 'ubuntu')!.change, 'unchanged');
  });

  it('hides credential values from viewers and operators in profile values and revision diffs, not from admins', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    await f.call('POST', '/v1/profiles', { body: profileYaml('creds', '1.0.0') });
    const edited = await f.call('PUT', '/v1/profiles/creds/versions/1.0.0', {
      body: profileYaml('creds', '1.0.0', { api: true }),
      headers: { 'if-match': '"1"' },
    });
    assert.equal(edited.status, 200, edited.text);
    const secret = 'change-me-db-password';
    const asAdmin = await f.call('GET', '/v1/profiles/creds/versions/1.0.0');
    assert.ok(asAdmin.text.includes(secret), 'admins see every value');
    const asOperator = await f.call('GET', '/v1/profiles/creds/versions/1.0.0', { token: f.tokens.operator });
    assert.equal(asOperator.text.includes(secret), false, 'operators may write credentials, not read them');
    const asViewer = await f.call('GET', '/v1/profiles/creds/versions/1.0.0', { token: f.tokens.viewer });
    assert.equal(asViewer.status, 200);
    assert.equal(asViewer.text.includes(secret), false);
    const hello = (asViewer.json.layers as Array<{ pack: string; values: string }>).find(
      (l) => l.pack === 'hello-universe',
    )!;
    assert.match(hello.values, /password: \(hidden\)/);
    assert.match(hello.values, /authToken: \(hidden\)/);
    assert.match(hello.values, /# Database password, stored in the db-password Secret/, 'comments are kept');
    assert.match(hello.values, /port: 5432/, 'other values are shown');
    const diff = await f.call('GET', '/v1/profiles/creds/versions/1.0.0/revisions?from=1&to=2', {
      token: f.tokens.viewer,
    });
    assert.equal(diff.text.includes(secret), false);
    const changes = (
      diff.json.layers as Array<{ pack: string; values: Array<Record<string, unknown>> }>
    ).find((l) => l.pack === 'hello-universe')!.values;
    assert.deepEqual(
      changes.find((c) => c.path === 'helloUniverse.db.password'),
      { path: 'helloUniverse.db.password', kind: 'added', to: '(hidden)' },
      'the path still says what changes',
    );
    const operatorDiff = await f.call('GET', '/v1/profiles/creds/versions/1.0.0/revisions?from=1&to=2', {
      token: f.tokens.operator,
    });
    assert.equal(operatorDiff.text.includes(secret), false);
    const adminDiff = await f.call('GET', '/v1/profiles/creds/versions/1.0.0/revisions?from=1&to=2');
    assert.ok(adminDiff.text.includes(secret));
  });

  it('creates a new version by copying the current revision', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    await f.call('POST', '/v1/profiles', { body: profileYaml('copy-me', '1.0.0', { replicas: 3 }) });
    const copy = await f.call('POST', '/v1/profiles/copy-me/versions/1.0.0/copy', {
      token: f.tokens.operator,
      body: { version: '1.1.0' },
    });
    assert.equal(copy.status, 201, copy.text);
    assert.equal(copy.json.version, '1.1.0');
    assert.equal(copy.json.revision, 1);
    const again = await f.call('POST', '/v1/profiles/copy-me/versions/1.0.0/copy', {
      body: { version: '1.1.0' },
    });
    assert.equal(again.json.code, 'AlreadyExists');
    const bad = await f.call('POST', '/v1/profiles/copy-me/versions/1.0.0/copy', { body: { version: 'v2' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.details?.field, 'body.version');
    const missing = await f.call('POST', '/v1/profiles/nope/versions/1.0.0/copy', {
      body: { version: '2.0.0' },
    });
    assert.equal(missing.status, 404);
  });
});
