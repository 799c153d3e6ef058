/** The plan as a person reads it in a terminal, from hand-built plans. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPlan, formatPlanView } from '../../src/cli/format-plan.ts';
import type { Plan } from '../../src/core/plan-types.ts';

function plan(overrides: Partial<Plan> = {}): Plan {
  return {
    from: [{ name: 'hello-universe-aws', version: '1.0.0', revision: 1 }],
    to: [{ name: 'hello-universe-aws', version: '1.1.0', revision: 1 }],
    layers: [],
    repave: { required: false, reasons: [], pools: [] },
    kubernetes: null,
    objects: { create: [], change: [], unchanged: 0, unused: [], delete: [] },
    errors: [],
    warnings: [],
    changed: true,
    applicable: true,
    ...overrides,
  };
}

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'hello-universe',
  name,
});

describe('formatPlan', () => {
  it('shows layer changes with their value paths and presets, objects created and left unused, and no repave', () => {
    const text = formatPlan(
      plan({
        layers: [
          {
            pack: 'ubuntu',
            layer: 'os',
            profile: 'hello-universe-aws',
            change: 'unchanged',
            fromVersion: '22.4.5',
            toVersion: '22.4.5',
            values: [],
            presets: { enabled: [], disabled: [] },
            overridden: false,
            conflicts: [],
          },
          {
            pack: 'hello-universe',
            layer: 'addon',
            profile: 'hello-universe-aws',
            change: 'values',
            fromVersion: '1.2.0',
            toVersion: '1.2.0',
            values: [
              { path: 'helloUniverse.api.port', kind: 'added', to: 3000 },
              { path: 'helloUniverse.ui.replicas', kind: 'changed', from: 1, to: 2 },
              { path: 'helloUniverse.legacy', kind: 'removed', from: true },
              { path: 'helloUniverse.db.password', kind: 'changed', from: 'change-me', to: 'hunter2-s3cret' },
              { path: 'helloUniverse.api.apiKey', kind: 'added', to: 'ak-123456' },
              { path: 'helloUniverse.tokenTtl', kind: 'added', to: 30 },
            ],
            presets: { enabled: ['enable-api'], disabled: [] },
            overridden: true,
            conflicts: [],
          },
        ],
        objects: {
          create: [deployment('api'), deployment('postgres'), deployment('ui')],
          change: [],
          unchanged: 4,
          unused: [deployment('hello-universe-deployment')],
          delete: [],
        },
      }),
    );
    assert.match(
      text,
      /Profiles: hello-universe-aws@1\.0\.0 \(revision 1\) → hello-universe-aws@1\.1\.0 \(revision 1\)/,
    );
    assert.match(text, /\[addon\] hello-universe 1\.2\.0: values changed \(cluster override kept\)/);
    assert.match(text, /\+ helloUniverse\.api\.port: 3000/);
    assert.match(text, /~ helloUniverse\.ui\.replicas: 1 → 2/);
    assert.match(text, /- helloUniverse\.legacy \(was true\)/);
    // Credentials are named as changing but never printed; a key that merely mentions one is shown.
    assert.match(text, /~ helloUniverse\.db\.password: \(hidden\) → \(hidden\)/);
    assert.match(text, /\+ helloUniverse\.api\.apiKey: \(hidden\)/);
    assert.doesNotMatch(text, /hunter2|change-me|ak-123456/);
    assert.match(text, /\+ helloUniverse\.tokenTtl: 30/);
    assert.match(text, /presets enabled: enable-api/);
    assert.match(text, /1 layer\(s\) unchanged/);
    assert.match(text, /Repave:\n {2}none — no node is replaced/);
    assert.match(text, /create \(3\):\n {4}Deployment hello-universe\/api/);
    assert.match(
      text,
      /unused \(kept; prune to delete\) \(1\):\n {4}Deployment hello-universe\/hello-universe-deployment/,
    );
    assert.match(text, /4 unchanged/);
    assert.match(text, /The plan can be applied\.$/);
    assert.doesNotMatch(text, /\[os\]/);
  });

  it('shows the repave per pool with its reasons, Kubernetes steps, and errors with their codes', () => {
    const text = formatPlan(
      plan({
        layers: [
          {
            pack: 'kubernetes',
            layer: 'k8s',
            profile: 'p',
            change: 'upgraded',
            fromVersion: '1.29.14',
            toVersion: '1.31.6',
            values: [],
            presets: { enabled: [], disabled: [] },
            overridden: false,
            conflicts: [{ path: 'kubelet.maxPods', base: 110, ours: 150, theirs: 120, line: 7 }],
          },
        ],
        repave: {
          required: true,
          reasons: [
            {
              code: 'K8sVersionChanged',
              message: 'Kubernetes 1.29.14 → 1.31.6 replaces every node',
              pools: ['control-plane', 'workers'],
              packDiff: { pack: 'kubernetes', fromVersion: '1.29.14', toVersion: '1.31.6', paths: [] },
            },
          ],
          pools: [
            { name: 'control-plane', role: 'control-plane', reasons: ['K8sVersionChanged'] },
            { name: 'workers', role: 'worker', reasons: ['K8sVersionChanged'] },
          ],
        },
        kubernetes: {
          distribution: 'pxk',
          fromPack: 'kubernetes',
          toPack: 'kubernetes',
          from: '1.29.14',
          to: '1.31.6',
          steps: ['1.30.10', '1.31.6'],
        },
        errors: [
          {
            code: 'K8sDowngradeNotSupported',
            message: 'Kubernetes cannot be downgraded (1.31.6 → 1.30.10).',
            details: {},
          },
        ],
        warnings: [{ code: 'RepaveRequired', message: 'Every node will be replaced.', details: {} }],
        applicable: false,
      }),
    );
    assert.match(text, /\[k8s\] kubernetes: upgraded 1\.29\.14 → 1\.31\.6/);
    assert.match(text, /! conflict at kubelet\.maxPods \(line 7\): cluster 150, new version 120/);
    assert.match(
      text,
      /pool control-plane \(control-plane\): replaced — K8sVersionChanged\n {2}pool workers \(worker\)/,
    );
    assert.match(text, /because Kubernetes 1\.29\.14 → 1\.31\.6 replaces every node \[K8sVersionChanged\]/);
    assert.match(text, /repave approve/);
    assert.match(text, /chained upgrade, one minor at a time: 1\.29\.14 → 1\.30\.10 → 1\.31\.6/);
    assert.match(
      text,
      /Errors:\n {2}Kubernetes cannot be downgraded \(1\.31\.6 → 1\.30\.10\)\. \[K8sDowngradeNotSupported\]/,
    );
    assert.match(text, /Warnings:\n {2}Every node will be replaced\. \[RepaveRequired\]/);
    assert.match(text, /cannot be applied/);
  });

  it('says when nothing changes and shortens long lists', () => {
    const many = Array.from({ length: 30 }, (_, i) => deployment(`d${i}`));
    const text = formatPlan(
      plan({ changed: false, objects: { create: [], change: many, unchanged: 0, unused: [], delete: [] } }),
    );
    assert.match(text, /No changes/);
    assert.match(text, /change \(30\):/);
    assert.match(text, /… and 15 more/);
    const view = formatPlanView({
      cluster: 'c1',
      plan: plan(),
      layers: [],
      pending: { stack: [], overrides: {}, conflicts: {} },
      resourceVersion: 4,
    });
    assert.match(view, /^Plan for cluster c1 \(resourceVersion 4\)/);
  });
});
