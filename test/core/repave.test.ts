import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodePoolSpec, ResolvedLayer } from '../../src/core/model.ts';
import { classifyRepave, decideRepave } from '../../src/core/repave.ts';
import { resolveStack } from '../../src/core/stack.ts';
import { catalog, defaultPools, fullProfile } from './fixtures.ts';
import { editYaml } from './yaml-edit.ts';

const baseStack = resolveStack([fullProfile('1.0.0')], {}, catalog);

function withLayer(pack: string, change: (l: ResolvedLayer) => Partial<ResolvedLayer>): ResolvedLayer[] {
  return baseStack.map((l) => (l.pack === pack ? { ...l, ...change(l) } : l));
}

function withPool(name: string, change: (p: NodePoolSpec) => Partial<NodePoolSpec>): NodePoolSpec[] {
  return defaultPools().map((p) => (p.name === name ? { ...p, ...change(p) } : p));
}

interface Row {
  change: string;
  stack?: ResolvedLayer[];
  pools?: NodePoolSpec[];
  repave: boolean;
  pools_replaced?: string[];
  code?: string;
}

// One row per line of DESIGN's repave table.
const rows: Row[] = [
  {
    change: 'OS pack version',
    stack: withLayer('ubuntu', () => ({
      version: '24.4.1',
      values: catalog.require('ubuntu', '24.4.1').values,
    })),
    repave: true,
    pools_replaced: ['control-plane', 'workers'],
    code: 'OsPackChanged',
  },
  {
    change: 'OS values',
    stack: withLayer('ubuntu', (l) => ({ values: editYaml(l.values, 'os.timezone', 'Europe/Berlin') })),
    repave: true,
    pools_replaced: ['control-plane', 'workers'],
    code: 'OsValuesChanged',
  },
  {
    change: 'Kubernetes version',
    stack: withLayer('kubernetes', () => ({
      version: '1.31.6',
      values: catalog.require('kubernetes', '1.31.6').values,
    })),
    repave: true,
    pools_replaced: ['control-plane', 'workers'],
    code: 'K8sVersionChanged',
  },
  {
    change: 'Kubernetes kubelet args (node-impact path)',
    stack: withLayer('kubernetes', (l) => ({
      values: editYaml(l.values, 'kubeadmconfig.kubeletExtraArgs.max-pods', '200'),
    })),
    repave: true,
    pools_replaced: ['control-plane', 'workers'],
    code: 'K8sNodeValuesChanged',
  },
  {
    change: 'Kubernetes control-plane args (node-impact path)',
    stack: withLayer('kubernetes', (l) => ({
      values: editYaml(l.values, 'kubeadmconfig.apiServer.extraArgs.profiling', 'true'),
    })),
    repave: true,
    pools_replaced: ['control-plane', 'workers'],
    code: 'K8sNodeValuesChanged',
  },
  {
    change: 'other Kubernetes values',
    stack: withLayer('kubernetes', (l) => ({
      values: editYaml(l.values, 'kubeadmconfig.clusterName', 'renamed'),
    })),
    repave: false,
  },
  {
    change: 'CNI pack version',
    stack: withLayer('calico', () => ({
      version: '3.29.1',
      values: catalog.require('calico', '3.29.1').values,
    })),
    repave: false,
  },
  {
    change: 'CNI pack replaced',
    stack: withLayer('calico', () => ({
      pack: 'cilium',
      version: '1.16.5',
      values: catalog.require('cilium', '1.16.5').values,
    })),
    repave: false,
  },
  {
    change: 'CSI pack version',
    stack: withLayer('csi-hostpath', () => ({
      version: '1.15.0',
      values: catalog.require('csi-hostpath', '1.15.0').values,
    })),
    repave: false,
  },
  {
    change: 'add-on values',
    stack: withLayer('hello-universe', (l) => ({
      values: editYaml(l.values, 'helloUniverse.ui.replicas', 3),
    })),
    repave: false,
  },
  {
    change: 'add-on pack version',
    stack: withLayer('hello-universe', () => ({
      version: '1.3.0',
      values: catalog.require('hello-universe', '1.3.0').values,
    })),
    repave: false,
  },
  {
    change: 'pool machine shape (instance type)',
    pools: withPool('workers', (p) => ({ machine: { ...p.machine, instanceType: 'sim.xlarge' } })),
    repave: true,
    pools_replaced: ['workers'],
    code: 'MachineShapeChanged',
  },
  {
    change: 'pool machine shape (disk)',
    pools: withPool('control-plane', (p) => ({ machine: { ...p.machine, diskGiB: 120 } })),
    repave: true,
    pools_replaced: ['control-plane'],
    code: 'MachineShapeChanged',
  },
  { change: 'pool node count', pools: withPool('workers', () => ({ count: 5 })), repave: false },
];

for (const row of rows) {
  test(`repave table: ${row.change} → ${row.repave ? 'repave' : 'no repave'}`, () => {
    const plan = classifyRepave(
      {
        currentStack: baseStack,
        targetStack: row.stack ?? baseStack,
        currentPools: defaultPools(),
        targetPools: row.pools ?? defaultPools(),
      },
      catalog,
    );
    assert.equal(plan.required, row.repave);
    if (row.repave) {
      assert.deepEqual(
        plan.pools.map((p) => p.name),
        row.pools_replaced,
      );
      assert.equal(plan.reasons[0]?.code, row.code);
      assert.ok(plan.reasons[0]!.message.length > 10);
    } else {
      assert.deepEqual(plan.reasons, []);
    }
  });
}

test('the control plane is replaced first, and node-impact reasons name the changed paths', () => {
  const pools = [...defaultPools()].reverse();
  const plan = classifyRepave(
    {
      currentStack: baseStack,
      targetStack: withLayer('kubernetes', (l) => ({
        values: editYaml(l.values, 'kubeadmconfig.kubeletExtraArgs.max-pods', '200'),
      })),
      currentPools: pools,
      targetPools: pools,
    },
    catalog,
  );
  assert.equal(plan.pools[0]?.role, 'control-plane');
  assert.deepEqual(plan.reasons[0]?.packDiff.paths, ['kubeadmconfig.kubeletExtraArgs.max-pods']);
});

test('a change that replaces nodes waits for approval, and is reverted when it goes before approval', () => {
  const reason = { code: 'OsPackChanged', message: 'OS changes.', pools: ['workers'] } as never;
  const base = {
    pools: ['workers'],
    reasons: () => [reason],
    autoApprove: false,
    rolledOut: true,
    now: 't1',
  };
  const pending = decideRepave({ ...base, repave: { state: 'None' } });
  assert.equal(pending.kind, 'hold');
  assert.deepEqual(pending.repave, { state: 'Pending', reasons: [reason], requestedAt: 't1' });
  assert.equal(decideRepave({ ...base, repave: pending.repave }).kind, 'stay');
  const reverted = decideRepave({ ...base, pools: [], repave: pending.repave });
  assert.equal(reverted.kind, 'settle');
  assert.deepEqual(reverted.repave, { state: 'Reverted', at: 't1' });
});

test('an approved repave starts, steps on without re-approval once rolled out, and completes', () => {
  const reason = { code: 'K8sVersionChanged', message: 'Kubernetes changes.', pools: ['workers'] } as never;
  const base = {
    pools: ['workers'],
    reasons: () => [reason],
    autoApprove: false,
    rolledOut: true,
    now: 't2',
  };
  const auto = decideRepave({ ...base, autoApprove: true, repave: { state: 'None' } });
  assert.equal(auto.repave.state, 'Approved');
  const started = decideRepave({ ...base, repave: auto.repave });
  assert.equal(started.kind, 'advance');
  assert.equal(started.repave.state, 'InProgress');
  if (started.kind === 'advance') assert.match(started.event('1.31.6').message, /Kubernetes 1\.31\.6/);
  assert.equal(decideRepave({ ...base, rolledOut: false, repave: started.repave }).kind, 'stay');
  assert.equal(decideRepave({ ...base, repave: started.repave }).kind, 'advance');
  const done = decideRepave({ ...base, pools: [], repave: started.repave });
  assert.equal(done.kind, 'settle');
  assert.deepEqual(done.repave, { state: 'None' });
});
