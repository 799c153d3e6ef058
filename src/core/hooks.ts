/**
 * Helm's hooks and install order, as charts rely on them: objects annotated `helm.sh/hook` are not part of the
 * release — they run at `pre-install`, `post-install`, `pre-upgrade`, `post-upgrade` (test hooks are not
 * rendered), in weight order, each awaited (Jobs to completion, Pods to success), and are deleted by their
 * `helm.sh/hook-delete-policy` (`before-hook-creation` by default). Pure: the engine runs them (engine/hooks.ts).
 */
import type { DesiredObject } from './desired.ts';
import type { KubeObject } from './model.ts';

/** The hook events Strata runs. */
export type HookEvent = 'pre-install' | 'post-install' | 'pre-upgrade' | 'post-upgrade';

/** What happens to hook objects after their phase. */
export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed';

const HOOK = 'helm.sh/hook';
const WEIGHT = 'helm.sh/hook-weight';
const DELETE_POLICY = 'helm.sh/hook-delete-policy';

/** Helm's install order of kinds (others go after these, by kind name). */
export const INSTALL_ORDER: readonly string[] = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

const ORDER = new Map(INSTALL_ORDER.map((k, i) => [k, i]));

/** Returns a kind's place in Helm's install order (unknown kinds after every known one). */
export function installRank(kind: string): number {
  return ORDER.get(kind) ?? INSTALL_ORDER.length;
}

function annotations(obj: KubeObject): Record<string, unknown> {
  const a = obj.metadata.annotations;
  return a && typeof a === 'object' ? (a as Record<string, unknown>) : {};
}

/** True when an object is a Helm hook (of any event), not part of the release. */
export function isHook(obj: KubeObject): boolean {
  return typeof annotations(obj)[HOOK] === 'string';
}

/** Returns the hook events an object runs at. */
export function hookEvents(obj: KubeObject): string[] {
  const value = annotations(obj)[HOOK];
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/** Returns a hook's delete policies (`before-hook-creation` when it names none, as Helm does). */
export function deletePolicies(obj: KubeObject): HookDeletePolicy[] {
  const value = annotations(obj)[DELETE_POLICY];
  if (typeof value !== 'string' || value.trim() === '') return ['before-hook-creation'];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(
      (s): s is HookDeletePolicy =>
        s === 'before-hook-creation' || s === 'hook-succeeded' || s === 'hook-failed',
    );
}

function weightOf(obj: KubeObject): number {
  const n = Number.parseInt(String(annotations(obj)[WEIGHT] ?? '0'), 10);
  return Number.isFinite(n) ? n : 0;
}

/** Returns the hooks of one event in the order Helm runs them: weight, then kind order, then name. */
export function hooksFor(hooks: readonly DesiredObject[], event: HookEvent): DesiredObject[] {
  return hooks
    .filter((h) => hookEvents(h.object).includes(event))
    .sort(
      (a, b) =>
        weightOf(a.object) - weightOf(b.object) ||
        installRank(a.ref.kind) - installRank(b.ref.kind) ||
        (a.ref.name < b.ref.name ? -1 : a.ref.name > b.ref.name ? 1 : 0),
    );
}

/** Returns how a hook that ran is doing: Jobs until complete, Pods until they end; anything else at once. */
export function hookOutcome(live: KubeObject | undefined): 'running' | 'succeeded' | { failed: string } {
  if (!live) return 'running';
  const status = (live.status ?? {}) as {
    phase?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
  };
  if (live.kind === 'Job') {
    const failed = status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    if (failed) return { failed: `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed'}` };
    return status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
      ? 'succeeded'
      : 'running';
  }
  if (live.kind === 'Pod') {
    if (status.phase === 'Succeeded') return 'succeeded';
    if (status.phase === 'Failed') return { failed: 'the Pod failed' };
    return 'running';
  }
  return 'succeeded';
}

/** True when a hook's kind is awaited (a Job or a Pod) rather than done once created. */
export function isAwaitedHook(obj: KubeObject): boolean {
  return obj.kind === 'Job' || obj.kind === 'Pod';
}
