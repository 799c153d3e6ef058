import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SimObjectWrite } from '../../src/sim/persistence.ts';
import { listAudit } from '../../src/store/audit.ts';
import {
  clusterDocument,
  clusterSummary,
  countClustersOnProfile,
  createCluster,
  createClusters,
  deleteCluster,
  getCluster,
  getClusterJson,
  getClustersWithRecords,
  getClusterWithRecords,
  listClusters,
  listClustersJson,
  updateClusterSpec,
  updateClusterSpecs,
  updateClusterStatus,
  updateClusterStatuses,
} from '../../src/store/clusters.ts';
import { listEvents, recordEvents } from '../../src/store/events.ts';
import {
  listInventories,
  listInventory,
  removeInventory,
  setInventoryUnused,
  upsertInventory,
} from '../../src/store/inventory.ts';
import { listNodePools, listNodes, updateNodePoolStatus, upsertNodes } from '../../src/store/node-pools.ts';
import {
  deletePack,
  getPack,
  getPacks,
  listPacks,
  registerPack,
  syncBuiltinPacks,
} from '../../src/store/packs.ts';
import { statementsSent } from '../../src/store/prepared.ts';
import {
  createProfileVersion,
  deleteProfileVersion,
  editProfileVersion,
  getProfileAtRevision,
  getProfileVersion,
  listProfileRevisions,
  listProfileVersions,
} from '../../src/store/profiles.ts';
import { StoreSimPersistence } from '../../src/store/sim-objects.ts';
import { createToken, hashToken, listTokens, revokeToken, verifyToken } from '../../src/store/tokens.ts';
import { forEachDriver } from '../support/stores.ts';
import { clusterSpec, layers, pack, rejection } from './fixtures.ts';

const alice = { actor: 'alice' };
const bob = { actor: 'bob' };

forEachDriver((_driver, getStore) => {
  it('loads the built-in catalog once and rewrites only changed packs', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const builtin = [pack('ubuntu', '22.4.0', 'os'), pack('kubernetes', '1.30.2', 'k8s')];
    assert.equal(await syncBuiltinPacks(store.db, { actor: 'system' }, builtin), 2);
    assert.equal(
      await syncBuiltinPacks(store.db, { actor: 'system' }, builtin),
      0,
      'a restart writes nothing',
    );
    const changed = [{ ...builtin[0]!, description: 'patched' }, builtin[1]!];
    assert.equal(await syncBuiltinPacks(store.db, { actor: 'system' }, changed), 1);
    const ubuntu = await getPack(store.db, 'ubuntu', '22.4.0');
    assert.equal(ubuntu?.description, 'patched');
    assert.equal(ubuntu?.source, 'builtin');
    assert.equal(ubuntu?.resourceVersion, 2);
    assert.deepEqual(
      (await listPacks(store.db, { layer: 'k8s' })).map((p) => p.name),
      ['kubernetes'],
    );
  });

  it('registers user packs, refuses a duplicate version and never deletes a built-in pack', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await registerPack(store.db, alice, pack('hello', '1.0.0'));
    const dup = await rejection(registerPack(store.db, alice, pack('hello', '1.0.0')));
    assert.equal(dup.code, 'AlreadyExists');
    assert.equal((await getPacks(store.db, [{ name: 'hello', version: '1.0.0' }])).length, 1);
    await syncBuiltinPacks(store.db, { actor: 'system' }, [pack('calico', '3.27.0', 'cni')]);
    assert.equal((await rejection(deletePack(store.db, alice, 'calico', '3.27.0'))).code, 'Forbidden');
    await registerPack(store.db, alice, pack('temp', '0.1.0'));
    await deletePack(store.db, alice, 'temp', '0.1.0');
    assert.equal(await getPack(store.db, 'temp', '0.1.0'), undefined);
    const audit = await listAudit(store.db, { targetKind: 'pack', target: 'temp@0.1.0' });
    assert.deepEqual(
      audit.map((a) => a.action),
      ['pack.delete', 'pack.register'],
    );
  });

  it('keeps every revision of a profile version edited in place', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const created = await createProfileVersion(store.db, alice, {
      name: 'web',
      version: '1.0.0',
      type: 'full',
      cloudType: 'sim',
      description: 'first',
      layers: layers(1),
    });
    assert.equal(created.revision, 1);
    const edited = await editProfileVersion(store.db, bob, {
      name: 'web',
      version: '1.0.0',
      expectedResourceVersion: created.resourceVersion,
      layers: layers(3),
    });
    assert.equal(edited.revision, 2);
    assert.equal(edited.layers[2]!.values, 'replicas: 3\n');
    const current = await getProfileVersion(store.db, 'web', '1.0.0');
    assert.equal(current?.revision, 2);
    const first = await getProfileAtRevision(store.db, 'web', '1.0.0', 1);
    assert.equal(first?.layers[2]?.values, 'replicas: 1\n', 'revision 1 stays readable for diffs');
    const history = await listProfileRevisions(store.db, 'web', '1.0.0');
    assert.deepEqual(
      history.map((r) => [r.revision, r.createdBy]),
      [
        [1, 'alice'],
        [2, 'bob'],
      ],
    );
    const audit = await listAudit(store.db, { targetKind: 'profile', target: 'web@1.0.0' });
    assert.deepEqual(audit[0], {
      ...audit[0]!,
      action: 'profile.edit',
      actor: 'bob',
      before: { revision: 1 },
      after: { revision: 2 },
    });
    assert.ok((await listProfileVersions(store.db, 'web')).some((p) => p.version === '1.0.0'));
  });

  it('lets one of two concurrent editors of a profile version win and tells the other it is stale', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const created = await createProfileVersion(store.db, alice, {
      name: 'race',
      version: '1.0.0',
      type: 'full',
      cloudType: 'sim',
      description: '',
      layers: layers(1),
    });
    const results = await Promise.allSettled([
      editProfileVersion(store.db, alice, {
        name: 'race',
        version: '1.0.0',
        expectedResourceVersion: created.resourceVersion,
        layers: layers(2),
      }),
      editProfileVersion(store.db, bob, {
        name: 'race',
        version: '1.0.0',
        expectedResourceVersion: created.resourceVersion,
        layers: layers(3),
      }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.reason.code, 'Conflict');
    assert.deepEqual(lost[0]!.reason.details, { name: 'race', version: '1.0.0', expected: 1, actual: 2 });
    assert.equal(
      (await listProfileRevisions(store.db, 'race', '1.0.0')).length,
      2,
      'no lost or extra revision',
    );
  });

  it('refuses to delete a profile version clusters use, and deletes an unused one', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const used = await createProfileVersion(store.db, alice, {
      name: 'inuse',
      version: '1.0.0',
      type: 'full',
      cloudType: 'sim',
      description: '',
      layers: layers(),
    });
    await createCluster(store.db, alice, clusterSpec('uses-inuse', 'inuse'));
    const refused = await rejection(
      deleteProfileVersion(store.db, alice, 'inuse', '1.0.0', used.resourceVersion),
    );
    assert.equal(refused.code, 'Conflict');
    assert.deepEqual(refused.details?.clusters, ['uses-inuse']);
    await deleteCluster(store.db, alice, 'uses-inuse');
    await deleteProfileVersion(store.db, alice, 'inuse', '1.0.0', used.resourceVersion);
    assert.equal(await getProfileVersion(store.db, 'inuse', '1.0.0'), undefined);
    assert.deepEqual(await listProfileRevisions(store.db, 'inuse', '1.0.0'), []);
  });

  it('creates clusters in a batch with their pools and finds them by profile, phase and page', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const specs = Array.from({ length: 25 }, (_, i) =>
      clusterSpec(`fleet-${String(i).padStart(2, '0')}`, 'fleet', i < 20 ? '1.0.0' : '2.0.0', i < 10 ? 1 : 2),
    );
    const created = await createClusters(store.db, alice, specs);
    assert.equal(created.length, 25);
    assert.equal(created[0]!.status.phase, 'Pending');
    assert.equal(await countClustersOnProfile(store.db, { name: 'fleet', version: '1.0.0' }), 20);
    assert.equal(
      await countClustersOnProfile(store.db, { name: 'fleet', version: '1.0.0', revision: 2 }),
      10,
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listClusters(store.db, {
        profile: { name: 'fleet', version: '1.0.0' },
        limit: 7,
        cursor,
      });
      assert.ok(page.items.length <= 7);
      seen.push(...page.items.map((c) => c.name));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      specs.slice(0, 20).map((s) => s.name),
    );

    const atRev1 = await listClusters(store.db, {
      profile: { name: 'fleet', version: '1.0.0', revision: 1 },
      limit: 100,
    });
    assert.equal(atRev1.items.length, 10);
    assert.equal(atRev1.nextCursor, null);

    assert.deepEqual(
      (await listNodePools(store.db, 'fleet-00')).map((p) => [p.name, p.role, p.desiredCount]),
      [
        ['control-plane', 'control-plane', 1],
        ['workers', 'worker', 2],
      ],
    );
    const dup = await rejection(
      createClusters(store.db, alice, [clusterSpec('fleet-new'), clusterSpec('fleet-03')]),
    );
    assert.equal(dup.code, 'AlreadyExists');
    assert.deepEqual(dup.details?.names, ['fleet-03']);
    assert.equal(await getCluster(store.db, 'fleet-new'), undefined, 'a failed batch writes nothing');

    await updateClusterStatuses(
      store.db,
      ['fleet-01', 'fleet-02'].map((name) => ({
        name,
        patch: { phase: 'Running' as const, health: 'Healthy' as const },
      })),
    );
    const running = await listClusters(store.db, { phase: 'Running' });
    assert.deepEqual(
      running.items.map((c) => c.name),
      ['fleet-01', 'fleet-02'],
    );
    assert.equal(running.items[0]!.status.health, 'Healthy');
    assert.equal(running.items[0]!.status.repave.state, 'None', 'a status patch keeps the other fields');
    const audit = await listAudit(store.db, { targetKind: 'cluster', target: 'fleet-07' });
    assert.equal(audit[0]?.action, 'cluster.create');
    assert.equal(audit[0]?.actor, 'alice');

    // A running cluster's status as the engine writes it: conditions in and out of their normal state, a
    // pending repave, and the engine's own bookkeeping.
    const at = '2026-12-01T10:00:00.000Z';
    const condition = (type: string, status: 'True' | 'False' | 'Unknown') => ({
      type,
      status,
      reason: `${type}${status}`,
      message: `${type} is ${status}.`,
      lastTransitionTime: at,
    });
    await updateClusterStatus(store.db, 'fleet-01', {
      conditions: [
        condition('Ready', 'True'),
        condition('InfrastructureReady', 'True'),
        condition('AddonsApplied', 'False'),
        condition('AddonsHealthy', 'Unknown'),
        condition('RepavePending', 'True'),
        condition('UpdateAvailable', 'False'),
        condition('Drifted', 'True'),
        condition('UnusedResources', 'False'),
        condition('RolloutWaiting', 'True'),
      ],
      repave: { state: 'Pending', reasons: [], requestedAt: at },
      kubernetesVersion: '1.30.4',
      engine: { nodes: { pools: [{ name: 'workers', image: 'ubuntu-22.04' }] } },
    });
    const fleet01 = (await getCluster(store.db, 'fleet-01'))!;
    assert.deepEqual(
      clusterSummary(fleet01).status.conditions.map((c) => `${c.type}=${c.status}`),
      [
        'AddonsApplied=False',
        'AddonsHealthy=Unknown',
        'RepavePending=True',
        'Drifted=True',
        'RolloutWaiting=True',
      ],
      'a list item keeps only the conditions not in their normal state',
    );
    assert.equal(
      'engine' in clusterDocument(fleet01).status,
      false,
      'the API document leaves out the engine notes',
    );

    // The API's list endpoint answers with the page as JSON text built by the database: the same page, to the
    // millisecond, as the objects read here would serialize to (summaries, or with view full the documents) —
    // for every filter and across a cursor.
    for (const query of [
      { limit: 5 },
      { limit: 5, cursor: (await listClusters(store.db, { limit: 5 })).nextCursor },
      { phase: 'Running' as const },
      { profile: { name: 'fleet', version: '1.0.0', revision: 2 }, limit: 4 },
      { profile: { name: 'fleet', version: '1.0.0' }, phase: 'Running' as const },
      { profile: { name: 'nobody', version: '1.0.0' } },
    ]) {
      const page = await listClusters(store.db, query);
      // Both ways of reading the page (rows joined here, or one row joined by the database) on both drivers.
      for (const oneRow of [false, true]) {
        assert.deepEqual(
          JSON.parse(await listClustersJson(store.db, query, 'summary', { oneRow })),
          JSON.parse(JSON.stringify({ ...page, items: page.items.map(clusterSummary) })),
          `${JSON.stringify(query)} oneRow=${oneRow}`,
        );
        assert.deepEqual(
          JSON.parse(await listClustersJson(store.db, query, 'full', { oneRow })),
          JSON.parse(JSON.stringify({ ...page, items: page.items.map(clusterDocument) })),
          `${JSON.stringify(query)} full oneRow=${oneRow}`,
        );
      }
    }
  });

  it('bumps the generation on a spec edit, refuses a stale one, and keeps status writes out of its way', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const created = await createCluster(store.db, alice, clusterSpec('edit-me'));
    // A reconciler writes status between the user's read and write: the user's edit must still succeed.
    await updateClusterStatus(store.db, 'edit-me', { phase: 'Running', observedGeneration: 1 });
    const spec = clusterSpec('edit-me', 'web', '1.1.0', 1);
    spec.pools = spec.pools.filter((p) => p.name !== 'workers');
    spec.pools.push({ ...spec.pools[0]!, name: 'gpu', role: 'worker', count: 4 });
    const updated = await updateClusterSpec(store.db, alice, spec, created.resourceVersion);
    assert.equal(updated.generation, 2);
    assert.equal(updated.resourceVersion, 2);
    assert.equal(updated.status.phase, 'Running');
    assert.equal(updated.status.observedGeneration, 1);
    assert.deepEqual(
      (await listNodePools(store.db, 'edit-me')).map((p) => [p.name, p.desiredCount]),
      [
        ['control-plane', 1],
        ['gpu', 4],
      ],
    );
    assert.equal(
      (await listClusters(store.db, { profile: { name: 'web', version: '1.1.0' } })).items.some(
        (c) => c.name === 'edit-me',
      ),
      true,
    );
    const stale = await rejection(updateClusterSpec(store.db, bob, spec, created.resourceVersion));
    assert.equal(stale.code, 'Conflict');
    assert.deepEqual(stale.details, { name: 'edit-me', expected: 1, actual: 2 });
    const statusStale = await rejection(
      updateClusterStatus(store.db, 'edit-me', { health: 'Degraded' }, { expectedStatusVersion: 1 }),
    );
    assert.equal(statusStale.code, 'Conflict');
    assert.equal(
      (await rejection(updateClusterSpec(store.db, bob, clusterSpec('nope'), 1))).code,
      'NotFound',
    );
    // The API's single read sends the document the database keeps: after a spec edit and a status write it is
    // exactly what the cluster read here serializes to (trigger-maintained, never stale).
    await updateClusterStatus(store.db, 'edit-me', { health: 'Degraded' });
    assert.deepEqual(
      JSON.parse((await getClusterJson(store.db, 'edit-me')) ?? 'null'),
      JSON.parse(JSON.stringify(clusterDocument((await getCluster(store.db, 'edit-me'))!))),
    );
    assert.equal(JSON.parse((await getClusterJson(store.db, 'edit-me')) ?? 'null').status.health, 'Degraded');
    assert.equal(await getClusterJson(store.db, 'nope'), undefined);
    const audit = await listAudit(store.db, { target: 'edit-me', targetKind: 'cluster' });
    assert.deepEqual(audit[0]?.before?.profiles, ['web@1.0.0#1']);
    assert.deepEqual(audit[0]?.after?.profiles, ['web@1.1.0#1']);
  });

  it('a batch spec write can drop a condition in the same row write, moving the status version only where it was', async (t) => {
    const store = getStore(t);
    if (!store) return;
    for (const name of ['drop-a', 'drop-b']) await createCluster(store.db, alice, clusterSpec(name));
    const at = '2026-12-07T00:00:00.000Z';
    const waiting = {
      type: 'RolloutWaiting',
      status: 'True' as const,
      reason: 'Waiting',
      message: 'Wave 2.',
      lastTransitionTime: at,
    };
    const ready = {
      type: 'Ready',
      status: 'True' as const,
      reason: 'Running',
      message: 'Running.',
      lastTransitionTime: at,
    };
    await updateClusterStatus(store.db, 'drop-a', { conditions: [ready, waiting] });
    await updateClusterStatus(store.db, 'drop-b', { conditions: [ready] });
    const before = new Map(
      (await Promise.all(['drop-a', 'drop-b'].map((n) => getCluster(store.db, n)))).map((c) => [c!.name, c!]),
    );
    const { updated } = await updateClusterSpecs(
      store.db,
      alice,
      ['drop-a', 'drop-b'].map((n) => ({
        spec: clusterSpec(n, 'web', '1.1.0', 1),
        expectedResourceVersion: 1,
      })),
      { dropCondition: 'RolloutWaiting' },
    );
    assert.deepEqual(
      updated.map((c) => [c.name, c.generation, c.status.conditions.map((x) => x.type)]),
      [
        ['drop-a', 2, ['Ready']],
        ['drop-b', 2, ['Ready']],
      ],
    );
    const a = (await getCluster(store.db, 'drop-a'))!;
    const b = (await getCluster(store.db, 'drop-b'))!;
    assert.equal(
      a.statusVersion,
      before.get('drop-a')!.statusVersion + 1,
      'a pass that read the old status looks again',
    );
    assert.equal(
      b.statusVersion,
      before.get('drop-b')!.statusVersion,
      'nothing removed: the status version stays',
    );
    assert.deepEqual(a.status.conditions, [ready]);
    assert.equal(
      JSON.parse((await getClusterJson(store.db, 'drop-a'))!).status.conditions.length,
      1,
      'the API document shows the condition gone',
    );
  });

  it('replaces many specs at once: stale and missing clusters are left out, the rest with their side rows', async (t) => {
    const store = getStore(t);
    if (!store) return;
    for (const name of ['batch-a', 'batch-b', 'batch-c'])
      await createCluster(store.db, alice, clusterSpec(name));
    // batch-b moved on since the caller read it.
    await updateClusterSpec(store.db, bob, clusterSpec('batch-b', 'web', '1.0.0', 2), 1);
    const a = clusterSpec('batch-a', 'web', '1.1.0', 1);
    a.pools = a.pools.map((p) => (p.name === 'workers' ? { ...p, count: 5 } : p));
    const { updated, current } = await updateClusterSpecs(store.db, alice, [
      { spec: a, expectedResourceVersion: 1 },
      { spec: clusterSpec('batch-b', 'web', '1.1.0', 1), expectedResourceVersion: 1 },
      { spec: clusterSpec('ghost', 'web', '1.1.0', 1), expectedResourceVersion: 1 },
      { spec: clusterSpec('batch-c', 'web', '1.1.0', 1), expectedResourceVersion: 1 },
    ]);
    assert.deepEqual(
      updated.map((c) => [c.name, c.generation, c.resourceVersion, c.spec.profiles[0]?.version]),
      [
        ['batch-a', 2, 2, '1.1.0'],
        ['batch-c', 2, 2, '1.1.0'],
      ],
    );
    assert.deepEqual(Object.fromEntries(current), { 'batch-a': 2, 'batch-b': 2, 'batch-c': 2 });
    const b = await getCluster(store.db, 'batch-b');
    assert.deepEqual([b?.spec.profiles[0]?.revision, b?.spec.profiles[0]?.version], [2, '1.0.0']);
    assert.deepEqual(
      (await listClusters(store.db, { profile: { name: 'web', version: '1.1.0' } })).items
        .map((c) => c.name)
        .filter((n) => n.startsWith('batch-')),
      ['batch-a', 'batch-c'],
    );
    assert.deepEqual(
      (await listNodePools(store.db, 'batch-a')).map((p) => [p.name, p.desiredCount]),
      [
        ['control-plane', 1],
        ['workers', 5],
      ],
    );
    assert.deepEqual(
      (await listNodePools(store.db, 'batch-c')).map((p) => [p.name, p.desiredCount]),
      [
        ['control-plane', 1],
        ['workers', 2],
      ],
    );
    const audited = await listAudit(store.db, { actor: 'alice' });
    assert.deepEqual(
      audited
        .filter((e) => e.action === 'cluster.update' && e.target.startsWith('batch-'))
        .map((e) => [e.target, e.after?.profiles])
        .sort(),
      [
        ['batch-a', ['web@1.1.0#1']],
        ['batch-c', ['web@1.1.0#1']],
      ],
    );
    // The inventories of many clusters in one read, each in `listInventory`'s order; none for an unknown name.
    const entry = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'ns',
      pack: 'hello',
      hash: '1',
      unused: false,
    };
    await upsertInventory(store.db, 'batch-a', [
      { ...entry, name: 'z' },
      { ...entry, name: 'y' },
    ]);
    await upsertInventory(store.db, 'batch-c', [{ ...entry, name: 'x' }]);
    const inventories = await listInventories(store.db, ['batch-a', 'batch-c', 'ghost']);
    assert.deepEqual(
      [...inventories].map(([cluster, entries]) => [cluster, entries.map((e) => e.name)]),
      [
        ['batch-a', ['y', 'z']],
        ['batch-c', ['x']],
        ['ghost', []],
      ],
    );
    assert.deepEqual(inventories.get('batch-a'), await listInventory(store.db, 'batch-a'));
  });

  it('deletes a cluster with its pools, nodes and inventory', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await createCluster(store.db, alice, clusterSpec('gone'));
    await upsertNodes(store.db, [
      { cluster: 'gone', name: 'gone-cp-1', pool: 'control-plane', info: { ready: true } },
    ]);
    await upsertInventory(store.db, 'gone', [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'x',
        pack: 'hello',
        hash: 'h1',
        unused: false,
      },
    ]);
    await deleteCluster(store.db, alice, 'gone', 1);
    assert.equal(await getCluster(store.db, 'gone'), undefined);
    assert.deepEqual(await listNodes(store.db, 'gone'), []);
    assert.deepEqual(await listInventory(store.db, 'gone'), []);
    assert.deepEqual(await listNodePools(store.db, 'gone'), []);
    assert.equal((await rejection(deleteCluster(store.db, alice, 'gone'))).code, 'NotFound');
  });

  it('records nodes and pool status of a cluster', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await createCluster(store.db, alice, clusterSpec('nodes'));
    await upsertNodes(store.db, [
      { cluster: 'nodes', name: 'w-2', pool: 'workers', info: { kubeletVersion: 'v1.30.2' } },
      { cluster: 'nodes', name: 'w-1', pool: 'workers', info: { kubeletVersion: 'v1.30.2' } },
      { cluster: 'nodes', name: 'cp-1', pool: 'control-plane', info: { kubeletVersion: 'v1.30.2' } },
    ]);
    await upsertNodes(store.db, [
      { cluster: 'nodes', name: 'w-1', pool: 'workers', info: { kubeletVersion: 'v1.31.0' } },
    ]);
    const workers = await listNodes(store.db, 'nodes', 'workers');
    assert.deepEqual(
      workers.map((n) => [n.name, n.info.kubeletVersion]),
      [
        ['w-1', 'v1.31.0'],
        ['w-2', 'v1.30.2'],
      ],
    );
    assert.equal(await updateNodePoolStatus(store.db, 'nodes', 'workers', { ready: 2 }), true);
    assert.equal(await updateNodePoolStatus(store.db, 'nodes', 'missing', { ready: 2 }), false);
    const pools = await listNodePools(store.db, 'nodes');
    assert.deepEqual(pools.find((p) => p.name === 'workers')?.status, { ready: 2 });
  });

  it('reads a cluster with its inventory and nodes in one statement, as the three reads give them', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await createCluster(store.db, alice, clusterSpec('whole'));
    await createCluster(store.db, alice, clusterSpec('bare'));
    await upsertNodes(store.db, [
      {
        cluster: 'whole',
        name: 'w-2',
        pool: 'workers',
        info: { kubeletVersion: 'v1.30.2', labels: { a: 'b' } },
      },
      { cluster: 'whole', name: 'cp-1', pool: 'control-plane', info: { kubeletVersion: 'v1.30.2' } },
      { cluster: 'whole', name: 'w-1', pool: 'workers', info: {} },
    ]);
    const entry = { apiVersion: 'v1', kind: 'Service', namespace: 'ns', pack: 'p', hash: 'h', unused: false };
    await upsertInventory(store.db, 'whole', [
      { ...entry, name: 'z' },
      { ...entry, name: 'a', kind: 'ConfigMap', unused: true },
      { ...entry, name: 'm', pack: 'b-pack', namespace: '' },
    ]);
    const read = await getClusterWithRecords(store.db, 'whole');
    assert.ok(read);
    const { records, ...cluster } = read;
    assert.deepEqual(cluster, await getCluster(store.db, 'whole'));
    assert.deepEqual(records.inventory, await listInventory(store.db, 'whole'));
    // Times to the millisecond (drivers may round the microseconds differently).
    const nodes = await listNodes(store.db, 'whole');
    assert.deepEqual(
      records.nodes.map((n) => ({ ...n, createdAt: undefined })),
      nodes.map((n) => ({ ...n, createdAt: undefined })),
    );
    for (const [i, n] of records.nodes.entries()) {
      assert.ok(n.createdAt instanceof Date);
      assert.ok(Math.abs(n.createdAt.getTime() - nodes[i]!.createdAt.getTime()) <= 1);
    }
    assert.deepEqual((await getClusterWithRecords(store.db, 'bare'))?.records, { inventory: [], nodes: [] });
    assert.equal(await getClusterWithRecords(store.db, 'nobody'), undefined);
    // Many at once, in one statement: each cluster with its own records, a missing name left out.
    const sent = statementsSent();
    const many = await getClustersWithRecords(store.db, ['bare', 'nobody', 'whole']);
    assert.equal(statementsSent() - sent, 1);
    assert.deepEqual([...many.keys()].sort(), ['bare', 'whole']);
    assert.deepEqual(many.get('whole')?.records.inventory, records.inventory);
    assert.deepEqual(
      many.get('whole')?.records.nodes.map((n) => [n.cluster, n.name]),
      records.nodes.map((n) => [n.cluster, n.name]),
    );
    assert.deepEqual(many.get('bare')?.records, { inventory: [], nodes: [] });
  });

  it('tracks applied objects per layer, marks them unused and forgets pruned ones', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await createCluster(store.db, alice, clusterSpec('inv'));
    const entry = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'hello',
      pack: 'hello',
      unused: false,
    };
    await upsertInventory(store.db, 'inv', [
      { ...entry, name: 'a', hash: '1' },
      { ...entry, name: 'b', hash: '1' },
      { ...entry, name: 'c', hash: '1', pack: 'other' },
    ]);
    await upsertInventory(store.db, 'inv', [{ ...entry, name: 'a', hash: '2' }]);
    assert.equal(await setInventoryUnused(store.db, 'inv', [{ ...entry, name: 'b' }], true), 1);
    const hello = await listInventory(store.db, 'inv', 'hello');
    assert.deepEqual(
      hello.map((e) => [e.name, e.hash, e.unused]),
      [
        ['a', '2', false],
        ['b', '1', true],
      ],
    );
    assert.equal(await removeInventory(store.db, 'inv', [{ ...entry, name: 'b' }]), 1);
    assert.deepEqual(
      (await listInventory(store.db, 'inv')).map((e) => e.name),
      ['a', 'c'],
    );
  });

  it('keeps a cluster event feed readable newest first and as a tail', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const ids = await recordEvents(store.db, [
      { cluster: 'ev', type: 'Normal', reason: 'Provisioning', message: 'started' },
      {
        cluster: 'ev',
        type: 'Warning',
        reason: 'RepavePending',
        message: 'approve it',
        details: { pools: ['workers'] },
      },
      { cluster: 'other', type: 'Normal', reason: 'Provisioning', message: 'started' },
    ]);
    const newest = await listEvents(store.db, 'ev');
    assert.deepEqual(
      newest.map((e) => e.reason),
      ['RepavePending', 'Provisioning'],
    );
    assert.deepEqual(newest[0]!.details, { pools: ['workers'] });
    const tail = await listEvents(store.db, 'ev', { afterId: ids[0]! });
    assert.deepEqual(
      tail.map((e) => e.reason),
      ['RepavePending'],
    );
  });

  it('stores only token hashes, verifies tokens by role and refuses revoked ones', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const { token, record } = await createToken(store.db, alice, { name: 'ci', role: 'operator' });
    const rows = await store.db
      .selectFrom('api_tokens')
      .select('token_hash')
      .where('id', '=', record.id)
      .execute();
    assert.equal(rows[0]!.token_hash, hashToken(token));
    assert.ok(!JSON.stringify(rows).includes(token), 'the plaintext is not stored');
    assert.equal((await verifyToken(store.db, token))?.role, 'operator');
    assert.equal(await verifyToken(store.db, `${token}x`), undefined);
    const given = await createToken(store.db, alice, {
      name: 'admin',
      role: 'admin',
      token: 'given-admin-token',
    });
    assert.equal((await verifyToken(store.db, 'given-admin-token'))?.id, given.record.id);
    await revokeToken(store.db, alice, record.id);
    assert.equal(await verifyToken(store.db, token), undefined);
    assert.ok((await listTokens(store.db)).find((r) => r.id === record.id)?.revokedAt instanceof Date);
    const bad = await rejection(createToken(store.db, alice, { name: 'x', role: 'root' as 'admin' }));
    assert.equal(bad.code, 'ValidationFailed');
    const audit = await listAudit(store.db, { targetKind: 'token', target: record.id });
    assert.deepEqual(
      audit.map((a) => a.action),
      ['token.revoke', 'token.create'],
    );
  });

  it('keeps simulated clusters objects and resource versions across a reopen of the persistence', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const sim = new StoreSimPersistence(store.db);
    const obj = (name: string, rv: number) => ({
      cluster: 'sim-a',
      group: 'apps',
      resource: 'deployments',
      namespace: 'default',
      name,
      resourceVersion: rv,
      object: { metadata: { name, resourceVersion: String(rv) }, spec: { replicas: rv } },
    });
    const write = (cluster: string, writes: SimObjectWrite[], lastResourceVersion: number) =>
      sim.writeMany([{ cluster, writes, lastResourceVersion }]);
    await write(
      'sim-a',
      [
        { op: 'put', record: obj('web', 1) },
        { op: 'put', record: obj('api', 2) },
        { op: 'put', record: obj('web', 3) },
        { op: 'put', record: { ...obj('ns', 4), group: '', resource: 'namespaces', namespace: '' } },
      ],
      4,
    );
    await write(
      'sim-a',
      [
        {
          op: 'delete',
          key: {
            cluster: 'sim-a',
            group: 'apps',
            resource: 'deployments',
            namespace: 'default',
            name: 'api',
          },
        },
      ],
      5,
    );
    await write('sim-a', [], 3);
    const loaded = await new StoreSimPersistence(store.db).loadCluster('sim-a');
    assert.equal(loaded.lastResourceVersion, 5, 'the counter never goes back');
    assert.deepEqual(loaded.objects.map((o) => o.name).sort(), ['ns', 'web']);
    assert.deepEqual(loaded.objects.find((o) => o.name === 'web')?.object, obj('web', 3).object);
    assert.deepEqual(await sim.listClusters(), ['sim-a']);
    await sim.deleteCluster('sim-a');
    assert.deepEqual(await sim.loadCluster('sim-a'), { objects: [], lastResourceVersion: 0 });
  });

  it('writes several simulated clusters in one group, each as if alone, however large', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const sim = new StoreSimPersistence(store.db);
    const rec = (cluster: string, name: string, rv: number) => ({
      cluster,
      group: '',
      resource: 'configmaps',
      namespace: 'default',
      name,
      resourceVersion: rv,
      object: { metadata: { name }, data: { v: `${cluster}/${rv} "quoted" \\ back` } },
    });
    const put = (cluster: string, name: string, rv: number): SimObjectWrite => ({
      op: 'put',
      record: rec(cluster, name, rv),
    });
    // Same object names in both clusters; g-b puts over 500 objects so the group is written in slices.
    await sim.writeMany([
      { cluster: 'g-a', writes: [put('g-a', 'x', 1), put('g-a', 'y', 2)], lastResourceVersion: 2 },
      {
        cluster: 'g-b',
        writes: Array.from({ length: 1_200 }, (_, i) => put('g-b', `cm-${i}`, i + 1)),
        lastResourceVersion: 1_200,
      },
    ]);
    await sim.writeMany([
      {
        cluster: 'g-a',
        writes: [
          put('g-a', 'x', 3),
          {
            op: 'delete',
            key: { cluster: 'g-a', group: '', resource: 'configmaps', namespace: 'default', name: 'y' },
          },
        ],
        lastResourceVersion: 4,
      },
      {
        cluster: 'g-b',
        writes: Array.from({ length: 700 }, (_, i) => ({
          op: 'delete' as const,
          key: { cluster: 'g-b', group: '', resource: 'configmaps', namespace: 'default', name: `cm-${i}` },
        })),
        lastResourceVersion: 1_201,
      },
    ]);
    const a = await sim.loadCluster('g-a');
    assert.equal(a.lastResourceVersion, 4);
    assert.deepEqual(
      a.objects.map((o) => [o.name, o.resourceVersion, o.object]),
      [['x', 3, rec('g-a', 'x', 3).object]],
    );
    const b = await sim.loadCluster('g-b');
    assert.equal(b.lastResourceVersion, 1_201);
    assert.equal(b.objects.length, 500);
    assert.deepEqual(
      b.objects.find((o) => o.name === 'cm-1199')?.object,
      rec('g-b', 'cm-1199', 1_200).object,
    );
    await sim.deleteCluster('g-a');
    await sim.deleteCluster('g-b');
  });
});
