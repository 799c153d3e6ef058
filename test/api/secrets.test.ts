/**
 * Credentials are write-only below admin. Pack defaults and preset fragments hide their credential values from
 * viewers and operators by path; a value known as secret (from a credential key of a pack default or an
 * override) is masked by value wherever else an answer holds it — events, audit (JSON and CSV), descriptions,
 * plan diffs, the live stream. Admins see everything. A `(hidden)` written back keeps the value it hides.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import type { ClusterSpec } from '../../src/core/model.ts';
import { writeArchive } from '../../src/render/archive.ts';
import { recordAudit } from '../../src/store/audit.ts';
import { createClusters } from '../../src/store/clusters.ts';
import { recordEvents } from '../../src/store/events.ts';
import { type ApiFixture, forEachApiDriver, profileYaml } from './fixture.ts';
import { emptyPlan, RecordingEngine } from './recording-engine.ts';

const DB_PASSWORD = 'change-me-db-password';
const AUTH_TOKEN = '931A3B02-8DCC-543F-A1B2-69423D1A0B94';

function spec(name: string, overrides: ClusterSpec['overrides'] = {}): ClusterSpec {
  return {
    name,
    cloudType: 'sim',
    profiles: [{ name: 'secret-web', version: '1.0.0', revision: 1 }],
    overrides,
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}

const roles = (f: ApiFixture) =>
  [
    ['viewer', f.tokens.viewer],
    ['operator', f.tokens.operator],
  ] as const;

forEachApiDriver(
  (getFixture) => {
    it('hides the credential values of pack defaults and preset fragments from viewers and operators, not admins', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const path = '/v1/packs/hello-universe/versions/1.2.0';
      const admin = await f.call('GET', path);
      assert.ok(admin.text.includes(DB_PASSWORD) && admin.text.includes(AUTH_TOKEN));
      for (const [role, token] of roles(f)) {
        const seen = await f.call('GET', path, { token });
        assert.equal(seen.status, 200);
        assert.equal(seen.text.includes(DB_PASSWORD), false, role);
        assert.equal(seen.text.includes(AUTH_TOKEN), false, role);
        const add = (seen.json.presets as Array<{ add: string }>)[0]!.add;
        assert.match(add, /password: \(hidden\)/, role);
        assert.match(add, /authToken: \(hidden\)/, role);
        assert.match(add, /# Database password, stored in the db-password Secret/, 'comments are kept');
        assert.match(add, /port: 5432/, 'other values are shown');
      }
    });

    it('masks a known secret by value wherever else it appears: events, audit (JSON and CSV), descriptions, plan diffs', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await f.call('POST', '/v1/profiles', {
        body: `${profileYaml('secret-web', '1.0.0', { api: true })}description: pw is ${DB_PASSWORD}\n`,
      });
      await createClusters(f.store.db, { actor: 'test' }, [spec('leaky')]);
      const override = 'helloUniverse:\n  db:\n    password: own-cluster-pw-42\n';
      const written = await f.call('POST', '/v1/clusters/leaky/overrides', {
        token: f.tokens.operator,
        body: { pack: 'hello-universe', values: override },
      });
      assert.equal(written.status, 200, written.text);
      await recordEvents(f.store.db, [
        { cluster: 'leaky', type: 'Normal', reason: 'SecretSet', message: `db-password is ${DB_PASSWORD}` },
        { cluster: 'leaky', type: 'Normal', reason: 'Echo', message: 'the override says own-cluster-pw-42' },
      ]);
      await recordAudit(f.store.db, { actor: 'test' }, [
        {
          action: 'note',
          targetKind: 'cluster',
          target: 'leaky',
          before: null,
          after: { token: AUTH_TOKEN },
        },
      ]);
      (f.engine as RecordingEngine).nextPlan = emptyPlan({
        layers: [
          {
            pack: 'hello-universe',
            layer: 'addon',
            profile: 'secret-web',
            change: 'values',
            fromVersion: '1.2.0',
            toVersion: '1.2.0',
            values: [{ path: 'helloUniverse.ui.banner', kind: 'added', to: 'login with own-cluster-pw-42' }],
            presets: { enabled: [], disabled: [] },
            overridden: true,
            conflicts: [],
          },
        ],
      });
      const reads: Array<[string, string, unknown?]> = [
        ['GET', '/v1/clusters/leaky/events'],
        ['GET', '/v1/audit?target=leaky'],
        ['GET', '/v1/audit?target=leaky&format=csv'],
        ['GET', '/v1/profiles/secret-web/versions/1.0.0'],
        ['GET', '/v1/profiles'],
        ['POST', '/v1/clusters/leaky/plan', { kind: 'profiles', profiles: ['secret-web@1.0.0'] }],
      ];
      for (const [method, url, body] of reads) {
        const admin = await f.call(method, url, { body });
        assert.ok(
          [DB_PASSWORD, AUTH_TOKEN, 'own-cluster-pw-42'].some((s) => admin.text.includes(s)),
          `${url}: the admin sees the secret`,
        );
        for (const [role, token] of roles(f)) {
          const seen = await f.call(method, url, { body, token });
          assert.equal(seen.status, 200, `${role} ${url}: ${seen.text}`);
          for (const secret of [DB_PASSWORD, AUTH_TOKEN, 'own-cluster-pw-42']) {
            assert.equal(seen.text.includes(secret), false, `${role} ${url} shows ${secret}`);
          }
          assert.match(seen.text, /\(hidden\)/, `${role} ${url}`);
        }
      }
      (f.engine as RecordingEngine).nextPlan = null;
    });

    it('masks known secrets in the live event stream below admin', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await f.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (f.app.server.address() as AddressInfo).port;
      const controller = new AbortController();
      try {
        const open = async (token: string) => {
          const response = await fetch(`http://127.0.0.1:${port}/v1/events/stream`, {
            headers: { authorization: `Bearer ${token}` },
            signal: controller.signal,
          });
          const reader = response.body!.getReader();
          let text = '';
          return async (pattern: RegExp) => {
            while (!pattern.test(text)) {
              const { value, done } = await reader.read();
              if (done) throw new Error(`stream ended: ${text}`);
              text += new TextDecoder().decode(value);
            }
            return text;
          };
        };
        const viewer = await open(f.tokens.viewer);
        const admin = await open(f.tokens.admin);
        await viewer(/: connected/);
        await admin(/: connected/);
        f.events.publish({
          kind: 'cluster.event',
          cluster: 'x',
          data: { message: `token ${AUTH_TOKEN} used` },
        });
        assert.match(await viewer(/token .* used/), /token \(hidden\) used/);
        assert.ok((await admin(/token .* used/)).includes(AUTH_TOKEN));
      } finally {
        controller.abort();
      }
    });

    it('keeps the value a (hidden) stands for when an operator writes back what it read', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await f.call('POST', '/v1/profiles', { body: profileYaml('round-trip', '1.0.0', { api: true }) });
      const read = await f.call('GET', '/v1/profiles/round-trip/versions/1.0.0', {
        token: f.tokens.operator,
      });
      const layers = read.json.layers as Array<{
        pack: string;
        version: string;
        values: string;
        presets: string[];
      }>;
      const hello = layers.find((l) => l.pack === 'hello-universe')!;
      assert.match(hello.values, /password: \(hidden\)/);
      hello.values = hello.values.replace('replicas: 1', 'replicas: 2');
      const edited = await f.call('PUT', '/v1/profiles/round-trip/versions/1.0.0', {
        token: f.tokens.operator,
        body: { ...read.json, layers },
      });
      assert.equal(edited.status, 200, edited.text);
      const stored = await f.call('GET', '/v1/profiles/round-trip/versions/1.0.0');
      const values = (stored.json.layers as Array<{ pack: string; values: string }>).find(
        (l) => l.pack === 'hello-universe',
      )!.values;
      assert.match(values, new RegExp(`password: ${DB_PASSWORD}`));
      assert.ok(values.includes(AUTH_TOKEN));
      assert.match(values, /replicas: 2/);
      assert.doesNotMatch(values, /\(hidden\)/);

      // An override edited from what was read keeps the cluster's own credential.
      await createClusters(f.store.db, { actor: 'test' }, [
        {
          ...spec('kept', {
            'hello-universe': {
              pack: 'hello-universe',
              values: 'helloUniverse:\n  db:\n    password: kept-pw-123\n',
            },
          }),
          profiles: [{ name: 'round-trip', version: '1.0.0', revision: 2 }],
        },
      ]);
      const engine = f.engine as RecordingEngine;
      const back = await f.call('POST', '/v1/clusters/kept/overrides', {
        token: f.tokens.operator,
        body: {
          pack: 'hello-universe',
          values: 'helloUniverse:\n  db:\n    password: (hidden)\n    port: 5433\n',
        },
      });
      assert.equal(back.status, 200, back.text);
      const sent = engine.calls.findLast((c) => c.command === 'applyChange')!.args[1] as { values: string };
      assert.equal(sent.values, 'helloUniverse:\n  db:\n    password: kept-pw-123\n    port: 5433\n');
      // A credential left (hidden) with nothing behind it is refused rather than stored as the placeholder.
      const orphan = await f.call('POST', '/v1/clusters/kept/overrides', {
        token: f.tokens.operator,
        body: { pack: 'hello-universe', values: 'helloUniverse:\n  extra:\n    apiToken: (hidden)\n' },
      });
      assert.equal(orphan.status, 400, orphan.text);
      assert.equal(orphan.json.details?.path, 'helloUniverse.extra.apiToken');
    });

    it('hides the value paths a pack declares secret (pack.yaml secretPaths, a chart schema, secretGenerator literals)', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      // A Strata pack whose secret has no credential word in its key: only its declaration makes it secret.
      const strata = await f.call('POST', '/v1/packs', {
        body: {
          manifest:
            'name: vaultish\nversion: 1.0.0\nlayer: addon\ndisplayName: Vaultish\nsecretPaths: [admin.passphrase]\n',
          values: 'admin:\n  # unseal phrase\n  passphrase: open-sesame-default\n  user: root\n',
          templates: {
            'cm.yaml':
              'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vaultish\n  namespace: default\ndata:\n  user: "{{ values.admin.user }}"\n',
          },
        },
      });
      assert.equal(strata.status, 201, strata.text);
      // A chart marking its secret with format: password in values.schema.json.
      const chart = await writeArchive(
        new Map([
          ['keeper/Chart.yaml', Buffer.from('apiVersion: v2\nname: keeper\nversion: 0.1.0\n')],
          ['keeper/values.yaml', Buffer.from('unlock:\n  phrase: chart-default-phrase\n')],
          [
            'keeper/values.schema.json',
            Buffer.from(
              JSON.stringify({
                type: 'object',
                properties: {
                  unlock: { type: 'object', properties: { phrase: { type: 'string', format: 'password' } } },
                },
              }),
            ),
          ],
          [
            'keeper/templates/cm.yaml',
            Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keeper\ndata:\n  a: "1"\n'),
          ],
        ]),
      );
      const imported = await f.call('POST', '/v1/packs/import', {
        body: { kind: 'helm', archive: chart.toString('base64') },
      });
      assert.equal(imported.status, 201, imported.text);
      const manifests = await f.call('POST', '/v1/packs/import', {
        body: {
          kind: 'manifest',
          files: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n' },
          name: 'plain-manifests',
          version: '1.0.0',
        },
      });
      assert.equal(manifests.status, 201, manifests.text);

      for (const [role, token] of roles(f)) {
        const vaultish = await f.call('GET', '/v1/packs/vaultish/versions/1.0.0', { token });
        assert.equal(
          vaultish.text.includes('open-sesame-default'),
          false,
          `${role} sees the declared default`,
        );
        assert.match(
          vaultish.json.values as string,
          /# unseal phrase\n {2}passphrase: \(hidden\)\n {2}user: root/,
        );
        const keeper = await f.call('GET', '/v1/packs/keeper/versions/0.1.0', { token });
        assert.equal(keeper.status, 200, keeper.text);
        assert.equal(keeper.text.includes('chart-default-phrase'), false, `${role} sees the chart's secret`);
      }

      const profile = [
        'name: secret-addons',
        'version: 1.0.0',
        'type: addon',
        'cloudType: sim',
        'layers:',
        '  - pack: vaultish',
        '    version: 1.0.0',
        '  - pack: keeper',
        '    version: 0.1.0',
        '  - pack: plain-manifests',
        '    version: 1.0.0',
        '',
      ].join('\n');
      assert.equal((await f.call('POST', '/v1/profiles', { body: profile })).status, 201);
      const overrides: Array<[string, string, string]> = [
        ['vaultish', 'admin:\n  passphrase: cluster-own-phrase\n', 'cluster-own-phrase'],
        ['keeper', 'unlock:\n  phrase: cluster-chart-phrase\n', 'cluster-chart-phrase'],
        [
          'plain-manifests',
          'secretGenerator:\n  - name: creds\n    literals: [api-key=generated-literal-1]\n',
          'generated-literal-1',
        ],
      ];
      await createClusters(f.store.db, { actor: 'test' }, [
        {
          ...spec(
            'declared',
            Object.fromEntries(overrides.map(([pack, values]) => [pack, { pack, values }])),
          ),
          profiles: [{ name: 'secret-addons', version: '1.0.0', revision: 1 }],
        },
      ]);
      await recordEvents(f.store.db, [
        { cluster: 'declared', type: 'Normal', reason: 'Echo', message: 'phrase is cluster-own-phrase' },
      ]);
      const admin = await f.call('GET', '/v1/clusters/declared');
      for (const [, , secret] of overrides)
        assert.ok(admin.text.includes(secret), `the admin sees ${secret}`);
      for (const [role, token] of roles(f)) {
        for (const url of ['/v1/clusters/declared', '/v1/clusters/declared/events']) {
          const seen = await f.call('GET', url, { token });
          assert.equal(seen.status, 200, seen.text);
          for (const [, , secret] of overrides) {
            assert.equal(seen.text.includes(secret), false, `${role} ${url} shows ${secret}`);
          }
        }
      }
    });

    it('masks known secrets in the server log', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      f.app.log.error({ cause: `the database refused ${DB_PASSWORD}` }, `failed with ${AUTH_TOKEN}`);
      const line = JSON.stringify(f.errorLog.at(-1));
      assert.match(line, /failed with \(hidden\)/);
      assert.equal(line.includes(DB_PASSWORD) || line.includes(AUTH_TOKEN), false, line);
    });
  },
  { engine: (store) => new RecordingEngine(store) },
);
