/**
 * Infrastructure, one step at a time: the cluster, its pools, then nodes — control-plane pools first, workers
 * once every control-plane node is Ready — each pool moved by `nextPoolAction` towards the templates in force
 * (provisioning, scaling and rolling repave are the same loop). Afterwards the store's node records are brought
 * in line with what the provider reports, with a `NodeCreated`/`NodeDeleted` event per difference — so each
 * node is recorded exactly once even when a step is retried after a crash.
 */
import { createHash } from 'node:crypto';
import { isStrataError } from '../core/errors.ts';
import type { ClusterSpec } from '../core/model.ts';
import { canonicalJson } from '../core/objects.ts';
import type { StoredNode } from '../store/node-pools.ts';
import type { EngineContext } from './context.ts';
import type { EngineState, NodesInForce } from './engine-state.ts';
import type { InfraNode, Infrastructure } from './infrastructure.ts';
import { nextPoolAction, type PoolAction } from './rolling.ts';
import type { StepWrites } from './step-writes.ts';

/** What the infrastructure step found or did. */
export interface InfraOutcome {
  /** Every pool has its nodes, all matching the templates in force and Ready. */
  ready: boolean;
  /** The step changed something at the provider (look again soon). */
  acted: boolean;
  /** Why it is not ready, for the condition message. */
  waitReason: string | null;
  /** Per pool: when an outdated node was last removed (carried in the engine state). */
  lastReplacedAt: Record<string, number>;
  /** Set when the nodes were read and found complete and Ready (carried in the engine state, `nodesSeen`). */
  nodesSeen?: { at: number; key: string };
}

/** What the nodes were checked against: the pools and the templates in force. */
function nodesKey(spec: ClusterSpec, inForce: NodesInForce): string {
  return createHash('sha256')
    .update(canonicalJson({ pools: spec.pools, templates: inForce.templates }))
    .digest('hex')
    .slice(0, 32);
}

/**
 * True when the last read of the provider (`state.nodesSeen`) still stands: less than half of `resyncMs` ago, for
 * the same pools and templates, and every node record Ready with each pool's count. A node lost out of band is
 * then found by the next periodic resync — its pass reads the provider (`full`), and so does any pass once half
 * the interval has gone by, should the resync have been folded into a reconcile already queued — as drift of
 * objects is.
 */
function nodesStillSeen(
  ctx: EngineContext,
  spec: ClusterSpec,
  key: string,
  state: EngineState,
  storedNodes: readonly StoredNode[],
): boolean {
  const seen = state.nodesSeen;
  if (!seen || seen.key !== key || ctx.clock.now() - seen.at >= ctx.timings.resyncMs / 2) return false;
  if (storedNodes.some((n) => n.info['state'] !== 'Ready')) return false;
  return spec.pools.every((p) => storedNodes.filter((n) => n.pool === p.name).length === p.count);
}

/** Runs `create` and treats `AlreadyExists` as done (the retry of a step that created it before a crash). */
async function idempotent(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(isStrataError(error) && error.code === 'AlreadyExists')) throw error;
  }
}

/** Removes nodes: drain (pods move elsewhere with new container IDs), then delete; gone nodes are skipped. */
async function removeNodes(infra: Infrastructure, cluster: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    try {
      await infra.drainNode(cluster, name);
    } catch (error) {
      // A node that never registered (still booting) cannot be drained; deleting it is enough.
      if (!(isStrataError(error) && error.code === 'NotFound')) throw error;
    }
    try {
      await infra.deleteNode(cluster, name);
    } catch (error) {
      if (!(isStrataError(error) && error.code === 'NotFound')) throw error;
    }
  }
}

/** Performs one pool action; returns true when it changed something. */
async function perform(
  infra: Infrastructure,
  spec: ClusterSpec,
  inForce: NodesInForce,
  pool: string,
  action: PoolAction,
): Promise<boolean> {
  if (action.kind === 'add') {
    const template = inForce.templates[pool]!;
    for (const name of action.names) {
      await idempotent(() =>
        infra.addNode(spec.name, pool, {
          name,
          osImage: template.osImage,
          kubeletVersion: template.kubeletVersion,
          instanceType: template.instanceType,
        }),
      );
    }
    return true;
  }
  if (action.kind === 'remove') {
    await removeNodes(infra, spec.name, action.names);
    return true;
  }
  return false;
}

/** Brings the store's node records in line with the provider's nodes, with an event per node made or gone. */
async function syncNodeRecords(
  spec: ClusterSpec,
  inForce: NodesInForce,
  nodes: readonly InfraNode[],
  writes: StepWrites,
  storedNodes: readonly StoredNode[],
): Promise<void> {
  const stored = new Map(storedNodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  for (const node of nodes) {
    seen.add(node.name);
    const info = {
      state: node.state,
      osImage: node.osImage,
      kubeletVersion: node.kubeletVersion,
      instanceType: node.instanceType,
      createdAt: node.createdAt,
      templateHash: inForce.templates[node.pool]?.hash ?? null,
    };
    const old = stored.get(node.name);
    if (!old) {
      writes.event(
        'Normal',
        'NodeCreated',
        `Node ${node.name} of pool ${node.pool} created (${node.osImage}, kubelet ${node.kubeletVersion}).`,
        {
          node: node.name,
          pool: node.pool,
        },
      );
    }
    if (!old || old.info['state'] !== info.state)
      writes.nodeUpserts.push({ cluster: spec.name, name: node.name, pool: node.pool, info });
  }
  for (const name of stored.keys()) {
    if (seen.has(name)) continue;
    writes.nodeDeletes.push(name);
    writes.event(
      'Normal',
      'NodeDeleted',
      `Node ${name} of pool ${stored.get(name)!.pool} drained and deleted.`,
      {
        node: name,
        pool: stored.get(name)!.pool,
      },
    );
  }
}

/** Takes one infrastructure step for a cluster towards the nodes in force; returns what it found or did. */
export async function reconcileInfrastructure(
  ctx: EngineContext,
  spec: ClusterSpec,
  inForce: NodesInForce,
  state: EngineState,
  writes: StepWrites,
  /** The cluster's node records as the pass read them. */
  storedNodes: readonly StoredNode[],
  /** Read the provider even when `state.nodesSeen` still stands (the periodic resync). */
  full = false,
): Promise<InfraOutcome> {
  const infra = ctx.infra;
  const lastReplacedAt = { ...(state.lastReplacedAt ?? {}) };
  const key = nodesKey(spec, inForce);
  if (infra && !full && nodesStillSeen(ctx, spec, key, state, storedNodes)) {
    return { ready: true, acted: false, waitReason: null, lastReplacedAt, nodesSeen: state.nodesSeen! };
  }
  if (!infra) {
    return {
      ready: false,
      acted: false,
      waitReason: 'the simulated infrastructure is not running in this process',
      lastReplacedAt,
    };
  }
  let acted = false;
  let existingPools: Set<string>;
  if (!(await infra.clusterExists(spec.name))) {
    // A new cluster has no pools: they and the first nodes are added in the same step.
    await idempotent(() => infra.createCluster(spec.name));
    writes.event(
      'Normal',
      'InfrastructureCreated',
      `Simulated cluster ${spec.name} created; adding node pools.`,
    );
    acted = true;
    existingPools = new Set();
  } else existingPools = new Set((await infra.listPools(spec.name)).map((p) => p.name));
  for (const pool of spec.pools) {
    if (existingPools.has(pool.name)) continue;
    await idempotent(() =>
      infra.createPool(spec.name, {
        name: pool.name,
        role: pool.role,
        machine: inForce.pools.find((p) => p.name === pool.name)?.machine ?? pool.machine,
      }),
    );
    acted = true;
  }

  let nodes = await infra.listNodes(spec.name);
  const now = ctx.clock.now();
  const reasons: string[] = [];
  const byPool = (pool: string) => nodes.filter((n) => n.pool === pool);
  const stray = nodes.filter((n) => !spec.pools.some((p) => p.name === n.pool)).map((n) => n.name);
  if (stray.length > 0) {
    await removeNodes(infra, spec.name, stray);
    acted = true;
  }
  const groups = [
    spec.pools.filter((p) => p.role === 'control-plane'),
    spec.pools.filter((p) => p.role === 'worker'),
  ];
  let allReady = true;
  for (const group of groups) {
    let groupReady = true;
    for (const pool of group) {
      const action = nextPoolAction({
        cluster: spec.name,
        pool,
        template: inForce.templates[pool.name]!,
        nodes: byPool(pool.name),
        now,
        ...(lastReplacedAt[pool.name] === undefined ? {} : { lastReplacedAt: lastReplacedAt[pool.name]! }),
      });
      if (action.kind === 'ready') continue;
      groupReady = false;
      if (action.kind === 'wait') reasons.push(action.reason);
      else {
        reasons.push(`${action.kind === 'add' ? 'adding' : 'removing'} ${action.names.join(', ')}`);
        if (await perform(infra, spec, inForce, pool.name, action)) acted = true;
        if (action.kind === 'remove' && action.replacement) lastReplacedAt[pool.name] = now;
      }
    }
    if (!groupReady) {
      allReady = false;
      // Workers wait for the control plane: its pools go first, whole.
      if (group === groups[0]) reasons.push('workers wait for the control plane');
      break;
    }
  }
  if (acted) nodes = await infra.listNodes(spec.name);
  await syncNodeRecords(spec, inForce, nodes, writes, storedNodes);
  const ready = allReady && stray.length === 0;
  return {
    ready,
    acted,
    waitReason: reasons.length > 0 ? reasons.join('; ') : null,
    lastReplacedAt,
    ...(ready && !acted ? { nodesSeen: { at: now, key } } : {}),
  };
}
