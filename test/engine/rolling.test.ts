/**
 * The rolling replacement of one pool, step by step (`nextPoolAction` is pure: these tests play the reconciler,
 * performing each action and booting nodes by hand): expand-first, contract-first, custom surge, control planes
 * one node at a time, and the pause between nodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodePoolSpec, UpdateStrategy } from '../../src/core/model.ts';
import type { InfraNode } from '../../src/engine/infrastructure.ts';
import type { NodeTemplate } from '../../src/engine/node-template.ts';
import { nodeName } from '../../src/engine/node-template.ts';
import { nextPoolAction, type PoolAction } from '../../src/engine/rolling.ts';

const OLD: NodeTemplate = {
  osImage: 'old',
  kubeletVersion: 'v1.30.10',
  instanceType: 'm5',
  diskGiB: 50,
  hash: 'aaaaaaaa',
};
const NEW: NodeTemplate = { ...OLD, osImage: 'new', hash: 'bbbbbbbb' };

function pool(
  count: number,
  strategy: UpdateStrategy,
  role: NodePoolSpec['role'] = 'worker',
  pauseSeconds = 0,
): NodePoolSpec {
  return { name: 'w', role, count, machine: { instanceType: 'm5', diskGiB: 50 }, strategy, pauseSeconds };
}

function node(name: string, state: InfraNode['state'] = 'Ready'): InfraNode {
  return { name, pool: 'w', state, osImage: '', kubeletVersion: '', instanceType: 'm5', createdAt: '' };
}

/** Plays a rolling replacement to the end; returns the actions taken and the most nodes/fewest Ready seen. */
function roll(spec: NodePoolSpec, count: number) {
  let nodes = Array.from({ length: count }, (_, i) => node(nodeName('c', 'w', OLD.hash, i)));
  const actions: PoolAction[] = [];
  let most = nodes.length;
  let fewestReady = nodes.length;
  for (let guard = 0; guard < 100; guard += 1) {
    const action = nextPoolAction({ cluster: 'c', pool: spec, template: NEW, nodes, now: guard * 1000 });
    actions.push(action);
    if (action.kind === 'ready') break;
    if (action.kind === 'add') nodes = [...nodes, ...action.names.map((n) => node(n, 'Booting'))];
    else if (action.kind === 'remove') nodes = nodes.filter((n) => !action.names.includes(n.name));
    else nodes = nodes.map((n) => ({ ...n, state: 'Ready' as const }));
    most = Math.max(most, nodes.length);
    fewestReady = Math.min(fewestReady, nodes.filter((n) => n.state === 'Ready').length);
  }
  return { actions: actions.map((a) => a.kind), nodes, most, fewestReady };
}

describe('rolling replacement of a pool', () => {
  it('expand-first adds one node, waits for it, then removes an old one — never below the desired count', () => {
    const r = roll(pool(3, { type: 'expand-first' }), 3);
    assert.deepEqual(r.actions.slice(0, 3), ['add', 'wait', 'remove']);
    assert.equal(r.most, 4);
    assert.equal(r.fewestReady, 3);
    assert.ok(r.nodes.every((n) => n.name.includes(NEW.hash)));
    assert.equal(r.nodes.length, 3);
  });

  it('contract-first removes an old node first, then adds — never above the desired count', () => {
    const r = roll(pool(3, { type: 'contract-first' }), 3);
    assert.deepEqual(r.actions.slice(0, 2), ['remove', 'add']);
    assert.equal(r.most, 3);
    assert.equal(r.fewestReady, 2);
    assert.ok(r.nodes.every((n) => n.name.includes(NEW.hash)));
  });

  it('custom maxSurge 2 replaces two nodes at a time', () => {
    const r = roll(pool(4, { type: 'custom', maxSurge: 2, maxUnavailable: 0 }), 4);
    assert.equal(r.most, 6);
    assert.equal(r.fewestReady, 4);
    assert.equal(r.actions.filter((a) => a === 'add').length, 2);
  });

  it('replaces control-plane nodes one at a time whatever the strategy says', () => {
    const r = roll(pool(3, { type: 'contract-first' }, 'control-plane'), 3);
    assert.equal(r.most, 4);
    assert.equal(r.fewestReady, 3);
  });

  it('pauses between nodes when the pool asks for it', () => {
    const spec = pool(2, { type: 'expand-first' }, 'worker', 30);
    const nodes = [node(nodeName('c', 'w', OLD.hash, 0)), node(nodeName('c', 'w', NEW.hash, 0))];
    const action = nextPoolAction({
      cluster: 'c',
      pool: spec,
      template: NEW,
      nodes,
      now: 10_000,
      lastReplacedAt: 0,
    });
    assert.deepEqual(action, { kind: 'wait', reason: 'pausing 20s between nodes of pool w' });
    assert.equal(
      nextPoolAction({ cluster: 'c', pool: spec, template: NEW, nodes, now: 31_000, lastReplacedAt: 0 }).kind,
      'add',
    );
  });

  it('names nodes deterministically, so a retried creation finds the node it made', () => {
    const spec = pool(2, { type: 'expand-first' });
    const first = nextPoolAction({ cluster: 'c', pool: spec, template: NEW, nodes: [], now: 0 });
    const again = nextPoolAction({ cluster: 'c', pool: spec, template: NEW, nodes: [], now: 5 });
    assert.deepEqual(first, { kind: 'add', names: ['c-w-bbbbbbbb-0', 'c-w-bbbbbbbb-1'] });
    assert.deepEqual(again, first);
    const half = nextPoolAction({
      cluster: 'c',
      pool: spec,
      template: NEW,
      nodes: [node('c-w-bbbbbbbb-0', 'Booting')],
      now: 5,
    });
    assert.deepEqual(half, { kind: 'add', names: ['c-w-bbbbbbbb-1'] });
  });
});
