/**
 * Node templates: what a pool's nodes run — OS image, kubelet version, machine shape — and a hash of everything
 * that would make a node different (OS pack and values, Kubernetes version and node-impact values, machine).
 * Like a Cluster API MachineSet hash, it names nodes deterministically (`<cluster>-<pool>-<hash>-<n>`), so a
 * retried creation after a crash finds the node it made instead of making a second one, and a node whose name
 * carries another hash is outdated.
 */
import { createHash } from 'node:crypto';
import type { Catalog } from '../core/catalog.ts';
import type { NodePoolSpec, ResolvedLayer } from '../core/model.ts';
import { canonicalJson } from '../core/objects.ts';
import { layerOfKind } from '../core/stack.ts';
import { parsePath, valuesData } from '../core/values.ts';

/** What one pool's nodes run. */
export interface NodeTemplate {
  osImage: string;
  kubeletVersion: string;
  instanceType: string;
  diskGiB: number;
  /** 8 hex characters over everything above plus OS values and Kubernetes node-impact values. */
  hash: string;
}

const HASH_LENGTH = 8;

/** Returns the value at a dotted path of parsed values, or undefined. */
function valueAt(data: unknown, path: string): unknown {
  let current = data;
  for (const segment of parsePath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Templates computed, by what they are computed from (packs are immutable per version); bounded. */
const templates = new Map<string, NodeTemplate>();
const TEMPLATES_LIMIT = 1024;

/**
 * Returns the node template of `pool` for a stack's OS and Kubernetes layers. Every pass of every cluster asks
 * (the repave gate compares the templates in force with the desired ones), and a fleet shares a few stacks, so
 * each distinct template is computed — values read, identity hashed — once.
 */
export function nodeTemplateOf(
  stack: readonly ResolvedLayer[],
  pool: NodePoolSpec,
  catalog: Catalog,
): NodeTemplate {
  const os = layerOfKind(stack, 'os');
  const k8s = layerOfKind(stack, 'k8s');
  const key = JSON.stringify([
    os ? [os.pack, os.version, os.values] : null,
    k8s ? [k8s.pack, k8s.version, k8s.values] : null,
    canonicalJson(pool.machine),
  ]);
  const known = templates.get(key);
  if (known) return { ...known };
  const template = computeTemplate(os, k8s, pool, catalog);
  templates.set(key, template);
  if (templates.size > TEMPLATES_LIMIT) templates.delete(templates.keys().next().value as string);
  return { ...template };
}

function computeTemplate(
  os: ResolvedLayer | undefined,
  k8s: ResolvedLayer | undefined,
  pool: NodePoolSpec,
  catalog: Catalog,
): NodeTemplate {
  const osPack = os ? catalog.require(os.pack, os.version) : undefined;
  const k8sPack = k8s ? catalog.require(k8s.pack, k8s.version) : undefined;
  const impact = k8sPack
    ? Object.fromEntries(
        k8sPack.nodeImpactPaths.map((p) => [
          p,
          valueAt(valuesData(k8s!.values, `${k8s!.pack} values`), p) ?? null,
        ]),
      )
    : {};
  const identity = {
    os: os
      ? { pack: os.pack, version: os.version, values: valuesData(os.values, `${os.pack} values`) }
      : null,
    k8s: k8s ? { pack: k8s.pack, version: k8s.version, impact } : null,
    machine: pool.machine,
  };
  const hash = createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, HASH_LENGTH);
  return {
    osImage: osPack?.displayName ?? 'unknown',
    kubeletVersion: k8s ? `v${k8s.version}` : 'unknown',
    instanceType: pool.machine.instanceType,
    diskGiB: pool.machine.diskGiB,
    hash,
  };
}

/** Returns the name of node `index` of a pool made from the template with `hash`. */
export function nodeName(cluster: string, pool: string, hash: string, index: number): string {
  return `${cluster}-${pool}-${hash}-${index}`;
}

/** Returns the template hash and index a node name carries, or null for a node Strata did not name. */
export function parseNodeName(
  cluster: string,
  pool: string,
  name: string,
): { hash: string; index: number } | null {
  const prefix = `${cluster}-${pool}-`;
  if (!name.startsWith(prefix)) return null;
  const match = /^([0-9a-f]{8})-(\d+)$/.exec(name.slice(prefix.length));
  return match ? { hash: match[1]!, index: Number(match[2]) } : null;
}
