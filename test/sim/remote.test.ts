/**
 * The simulator reached from another process: `/infra/v1` runs the infrastructure operations for a holder of
 * the infrastructure token only, keeps Strata's error codes (AlreadyExists stays AlreadyExists), and the
 * kubeconfigs it hands out reach the same clusters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StrataError } from '../../src/core/errors.ts';
import { destroySharedAgents } from '../../src/kube/agents.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { connectRemoteSimulator, type RemoteSimulator } from '../../src/sim/remote.ts';
import { type SimFixture, startFixture } from './sim-fixture.ts';

describe('the simulator over HTTPS', () => {
  let fx: SimFixture;
  let remote: RemoteSimulator;
  before(async () => {
    fx = await startFixture();
    remote = await connectRemoteSimulator({ url: fx.server.url, pkiDir: fx.pkiDir });
  });
  after(async () => {
    destroySharedAgents();
    await fx.close();
  });

  it('provisions a cluster whose nodes boot, as in-process calls do', async () => {
    await remote.infra.createCluster('far');
    await remote.infra.createPool('far', {
      name: 'cp',
      role: 'control-plane',
      machine: { instanceType: 'm5.large' },
    });
    const node = await remote.infra.addNode('far', 'cp', {
      name: 'far-cp-0',
      osImage: 'Ubuntu 22.04.5 LTS',
      kubeletVersion: 'v1.30.10',
    });
    assert.equal(node, 'far-cp-0');
    const end = Date.now() + 10_000;
    while ((await remote.infra.listNodes('far'))[0]?.state !== 'Ready') {
      assert.ok(Date.now() < end, 'the node became Ready');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(
      (await fx.server.infra.listNodes('far')).map((n) => n.name),
      ['far-cp-0'],
    );
    const client = KubeClient.fromKubeconfig(remote.kubeconfig('far', 'admin'));
    const nodes = await client.list('v1', 'Node');
    assert.deepEqual(
      nodes.map((n) => (n.metadata as { name: string }).name),
      ['far-cp-0'],
    );
  });

  it('keeps error codes: a repeated creation is AlreadyExists', async () => {
    await assert.rejects(
      remote.infra.addNode('far', 'cp', { name: 'far-cp-0', osImage: 'x', kubeletVersion: 'v1.30.10' }),
      (e: unknown) => e instanceof StrataError && e.code === 'AlreadyExists',
    );
    await assert.rejects(
      remote.infra.listNodes('nowhere'),
      (e: unknown) => e instanceof StrataError && e.code === 'NotFound',
    );
  });

  it('refuses a caller holding only a cluster admin token', async () => {
    const { request } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${fx.server.url}/infra/v1`,
        {
          method: 'POST',
          ca: fx.server.caCertPem,
          headers: { authorization: `Bearer ${fx.server.token('far', 'admin')}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ op: 'deleteCluster', args: ['far'] }));
    });
    assert.equal(status, 401);
    assert.equal(await fx.server.infra.clusterExists('far'), true, 'nothing was deleted');
  });
});
