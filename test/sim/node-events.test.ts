/**
 * Nodes report what a real cluster reports about them, seen with the real kubectl: a node that joins gets the
 * kubelet's `Starting`, `NodeAllocatableEnforced` and `NodeReady` and the node controller's `RegisteredNode`
 * (in `kubectl describe node` too); a stopped machine's node `NodeNotReady`; a removed one `RemovingNode`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON output is walked by path in the assertions below.
type Json = Record<string, any>;

describe('node events', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let missing: string | null = null;
  let nodes: string[] = [];
  const cluster = 'nodev';

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    fixture = await startFixture();
    nodes = await createReadyCluster(fixture.server, cluster, 2);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig(cluster, 'admin'));
  });

  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });

  const k = async (...args: string[]): Promise<string> => {
    const r = await kubectl!.run(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  /** `reason (component): message` of every event about a node, oldest first. */
  const nodeEvents = async (node: string): Promise<string[]> => {
    const list: Json[] = JSON.parse(
      await k(
        'get',
        'events',
        '-A',
        '--field-selector',
        `involvedObject.kind=Node,involvedObject.name=${node}`,
        '-o',
        'json',
      ),
    )['items'];
    return list.map((e) => `${e['reason']} (${e['source']['component']}): ${e['message']}`);
  };

  test('a node that joins reports Starting, NodeReady and RegisteredNode', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    for (const node of nodes) {
      assert.deepEqual(await nodeEvents(node), [
        'Starting (kubelet): Starting kubelet.',
        'NodeAllocatableEnforced (kubelet): Updated Node Allocatable limit across pods',
        `NodeReady (kubelet): Node ${node} status is now: NodeReady`,
        `RegisteredNode (node-controller): Node ${node} event: Registered Node ${node} in Controller`,
      ]);
    }
    const described = await k('describe', 'node', nodes[1]!);
    const events = described.slice(described.indexOf('Events:'));
    assert.match(events, /Normal\s+Starting\s+\S+\s+kubelet\s+Starting kubelet\./);
    assert.match(
      events,
      new RegExp(`Normal\\s+NodeReady\\s+\\S+\\s+kubelet\\s+Node ${nodes[1]} status is now: NodeReady`),
    );
    assert.match(
      events,
      new RegExp(
        `Normal\\s+RegisteredNode\\s+\\S+\\s+node-controller\\s+Node ${nodes[1]} event: Registered Node ${nodes[1]} in Controller`,
      ),
    );
  });

  test('a stopped machine’s node reports NodeNotReady, a removed one RemovingNode', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const [, first, second] = nodes as [string, string, string];
    await fixture!.server.infra.stopNode(cluster, first);
    await waitFor(
      async () =>
        (await nodeEvents(first)).includes(
          `NodeNotReady (node-controller): Node ${first} status is now: NodeNotReady`,
        ),
      'NodeNotReady',
    );
    assert.match(await k('get', 'node', first, '--no-headers'), /\sNotReady\s/);
    await fixture!.server.infra.deleteNode(cluster, second);
    assert.ok(
      (await nodeEvents(second)).includes(
        `RemovingNode (node-controller): Node ${second} event: Removing Node ${second} from Controller`,
      ),
    );
  });
});
