/** `--wait`: following a cluster through its phases and conditions until it runs, or is deleted. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../src/cli/client.ts';
import { waitForCluster } from '../../src/cli/wait.ts';
import type { ClusterSpec } from '../../src/core/model.ts';
import { createClusters, deleteCluster, updateClusterStatus } from '../../src/store/clusters.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { type ApiFixture, startApiFixture } from '../api/fixture.ts';

function spec(name: string): ClusterSpec {
  return {
    name,
    cloudType: 'sim',
    profiles: [{ name: 'web', version: '1.0.0', revision: 1 }],
    overrides: {},
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}

describe('waitForCluster', () => {
  let store: Store;
  let f: ApiFixture;
  let client: ApiClient;
  before(async () => {
    store = await openStore({ memory: true });
    f = await startApiFixture(store, null);
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    client = new ApiClient({
      url: `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`,
      token: f.tokens.viewer,
    });
  });
  after(async () => {
    await f.close();
    await store.close();
  });

  it('prints each phase and condition change and returns once the cluster runs at its generation', async () => {
    await createClusters(store.db, { actor: 'test' }, [spec('waited')]);
    const lines: string[] = [];
    const waiting = waitForCluster(
      client,
      'waited',
      { until: 'ready', timeoutMs: 20_000, intervalMs: 20 },
      { out: (t) => lines.push(t), err: (t) => lines.push(t) },
    );
    // The change comes once the waiter has seen Pending (a fixed delay missed it on a loaded machine).
    for (let waited = 0; !lines.some((l) => /phase Pending/.test(l)); waited += 10) {
      assert.ok(waited < 10_000, `the waiter printed no Pending line: ${lines.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await updateClusterStatus(store.db, 'waited', {
      phase: 'Provisioning',
      conditions: [
        {
          type: 'NodesReady',
          status: 'False',
          reason: 'Booting',
          message: '0/3 nodes ready',
          lastTransitionTime: new Date(0).toISOString(),
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 100));
    await updateClusterStatus(store.db, 'waited', {
      phase: 'Running',
      health: 'Healthy',
      observedGeneration: 1,
      conditions: [],
    });
    const final = await waiting;
    assert.equal(final?.status.phase, 'Running');
    const text = lines.join('\n');
    assert.match(text, /waited: phase Pending/);
    assert.match(text, /NodesReady=False \(Booting\): 0\/3 nodes ready/);
    assert.match(text, /waited: phase Running, health Healthy/);
    assert.match(text, /waited is Running at generation 1\./);
  });

  it('stops at a repave waiting for approval, follows a deletion to the end, and times out clearly', async () => {
    await createClusters(store.db, { actor: 'test' }, [spec('repaved'), spec('doomed'), spec('stuck')]);
    await updateClusterStatus(store.db, 'repaved', {
      phase: 'Updating',
      repave: {
        state: 'Pending',
        requestedAt: new Date(0).toISOString(),
        reasons: [
          {
            code: 'OsPackChanged',
            message: 'os',
            pools: ['workers'],
            packDiff: { pack: 'ubuntu', fromVersion: '22.4.5', toVersion: '24.4.1', paths: [] },
          },
        ],
      },
    });
    const lines: string[] = [];
    const printer = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    await waitForCluster(client, 'repaved', { until: 'ready', timeoutMs: 5_000, intervalMs: 20 }, printer);
    assert.match(
      lines.join('\n'),
      /repave pending approval \(OsPackChanged\); approve with: strata cluster repave approve repaved/,
    );

    const deleting = waitForCluster(
      client,
      'doomed',
      { until: 'deleted', timeoutMs: 20_000, intervalMs: 20 },
      printer,
    );
    await new Promise((r) => setTimeout(r, 100));
    await deleteCluster(store.db, { actor: 'test' }, 'doomed');
    assert.equal(await deleting, null);
    assert.match(lines.join('\n'), /cluster doomed deleted/);

    await assert.rejects(
      waitForCluster(client, 'stuck', { until: 'ready', timeoutMs: 100, intervalMs: 20 }, printer),
      {
        code: 'Unavailable',
        message: /Timed out after 0s waiting for cluster stuck \(phase Pending\)/,
      },
    );
  });
});
