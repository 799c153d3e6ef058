/**
 * The next action on one node pool, from its desired count, the template its nodes must match and the nodes it
 * has: create missing nodes (all at once when nothing is outdated — provisioning and scaling), or replace
 * outdated ones by the pool's strategy — `expand-first` (maxSurge 1, maxUnavailable 0: add one, wait Ready,
 * remove an old one), `contract-first` (maxSurge 0, maxUnavailable 1: remove one, then add), or custom — with an
 * optional pause between replacements. Control-plane pools always go one node at a time, expand-first.
 * Pure: the reconciler performs the action and looks again.
 */
import type { NodePoolSpec } from '../core/model.ts';
import type { InfraNode } from './infrastructure.ts';
import { type NodeTemplate, nodeName, parseNodeName } from './node-template.ts';

/** What to do with a pool now. */
export type PoolAction =
  | { kind: 'add'; names: string[] }
  | { kind: 'remove'; names: string[]; replacement: boolean }
  | { kind: 'wait'; reason: string }
  | { kind: 'ready' };

/** Input of `nextPoolAction`. */
export interface PoolState {
  cluster: string;
  pool: NodePoolSpec;
  template: NodeTemplate;
  /** The pool's nodes as the provider reports them. */
  nodes: readonly InfraNode[];
  now: number;
  /** When the pool's last outdated node was removed (epoch ms), for `pauseSeconds`. */
  lastReplacedAt?: number;
}

/** Returns maxSurge and maxUnavailable of a pool (control planes: 1 and 0, whatever they say). */
export function surgeOf(pool: NodePoolSpec): { maxSurge: number; maxUnavailable: number } {
  if (pool.role === 'control-plane') return { maxSurge: 1, maxUnavailable: 0 };
  switch (pool.strategy.type) {
    case 'expand-first':
      return { maxSurge: 1, maxUnavailable: 0 };
    case 'contract-first':
      return { maxSurge: 0, maxUnavailable: 1 };
    case 'custom': {
      const maxSurge = Math.max(0, pool.strategy.maxSurge);
      const maxUnavailable = Math.max(0, pool.strategy.maxUnavailable);
      // Both 0 could never replace a node; the API refuses it, and a stored one is read as expand-first.
      return maxSurge + maxUnavailable === 0
        ? { maxSurge: 1, maxUnavailable: 0 }
        : { maxSurge, maxUnavailable };
    }
  }
}

/** Returns the names of `count` new nodes at the lowest indices not in use. */
function newNames(state: PoolState, taken: ReadonlySet<number>, count: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i += 1) {
    if (!taken.has(i)) names.push(nodeName(state.cluster, state.pool.name, state.template.hash, i));
  }
  return names;
}

/** Returns the next action on a pool (see the file comment). */
export function nextPoolAction(state: PoolState): PoolAction {
  const n = state.pool.count;
  const current: InfraNode[] = [];
  const outdated: InfraNode[] = [];
  const taken = new Set<number>();
  for (const node of state.nodes) {
    const parsed = parseNodeName(state.cluster, state.pool.name, node.name);
    if (parsed && parsed.hash === state.template.hash) {
      current.push(node);
      taken.add(parsed.index);
    } else {
      outdated.push(node);
    }
  }
  const notReady = current.filter((node) => node.state !== 'Ready');

  if (outdated.length === 0) {
    if (current.length < n) return { kind: 'add', names: newNames(state, taken, n - current.length) };
    if (current.length > n) {
      const extra = [...current]
        .sort((a, b) => indexOf(state, b) - indexOf(state, a))
        .slice(0, current.length - n)
        .map((node) => node.name);
      return { kind: 'remove', names: extra, replacement: false };
    }
    if (notReady.length > 0) {
      return {
        kind: 'wait',
        reason: `${notReady.length} of ${n} nodes of pool ${state.pool.name} not Ready yet`,
      };
    }
    return { kind: 'ready' };
  }

  const { maxSurge, maxUnavailable } = surgeOf(state.pool);
  const pauseMs = state.pool.pauseSeconds * 1000;
  if (pauseMs > 0 && state.lastReplacedAt !== undefined && state.now - state.lastReplacedAt < pauseMs) {
    const left = Math.ceil((pauseMs - (state.now - state.lastReplacedAt)) / 1000);
    return { kind: 'wait', reason: `pausing ${left}s between nodes of pool ${state.pool.name}` };
  }
  const total = current.length + outdated.length;
  if (total < n + maxSurge && current.length < n) {
    const count = Math.min(n + maxSurge - total, n - current.length);
    return { kind: 'add', names: newNames(state, taken, count) };
  }
  if (notReady.length > 0) {
    return { kind: 'wait', reason: `new node ${notReady[0]!.name} of pool ${state.pool.name} is booting` };
  }
  const ready = current.length + outdated.filter((node) => node.state === 'Ready').length;
  const removable = Math.min(outdated.length, ready - (n - maxUnavailable));
  if (removable > 0) {
    // Broken nodes go first: removing them costs no capacity.
    const victims = [...outdated]
      .sort((a, b) => Number(a.state === 'Ready') - Number(b.state === 'Ready') || (a.name < b.name ? -1 : 1))
      .slice(0, removable)
      .map((node) => node.name);
    return { kind: 'remove', names: victims, replacement: true };
  }
  return { kind: 'wait', reason: `pool ${state.pool.name} has no spare capacity to replace a node` };
}

function indexOf(state: PoolState, node: InfraNode): number {
  return parseNodeName(state.cluster, state.pool.name, node.name)?.index ?? Number.MAX_SAFE_INTEGER;
}
