/**
 * The renderer: what a layer of a stack puts on a cluster, as `DesiredObject`s. It dispatches by pack kind (Strata
 * templates here; charts, manifests and kustomize in their own modules), renders untrusted content only in the
 * sandbox pool, and remembers each distinct render — most clusters of a fleet share their configuration, so a
 * rollout to thousands of clusters renders each distinct (pack content, values, namespace, capabilities) once.
 * Concurrent requests for one render share it.
 */
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import YAML from 'yaml';
import type { Catalog } from '../core/catalog.ts';
import { type DesiredObject, SHARED_CLUSTER } from '../core/desired.ts';
import type { KubeObject, Pack, ResolvedLayer } from '../core/model.ts';
import { hashObject, refKey, refOf } from '../core/objects.ts';
import { checkOverlayValues } from '../core/pack-kinds.ts';
import { type ObjectsOptions, objectsOfRender, type RenderedDocuments } from '../core/render.ts';
import { valuesData } from '../core/values.ts';
import { type ContentSource, ContentWorkspace } from './content.ts';
import { runTool } from './run-tool.ts';
import { SandboxPool, type SandboxSettings } from './sandbox/pool.ts';
import { pinnedTool } from './tools.ts';

/** How many distinct layer renders are remembered. */
const CACHE_LIMIT = 4096;

/** What a render may depend on besides values: the target cluster's Kubernetes version (charts read it). */
export interface RenderCapabilities {
  /** `1.30.10` (no `v`). */
  kubeVersion: string;
}

/** Counters for benchmarks and tests. */
export interface RendererStats {
  /** Renders actually computed (cache misses). */
  renders: number;
  /** Layer renders answered from the cache. */
  hits: number;
}

/** Renders layers of stacks into desired objects, in a sandbox, with a cache. */
export class Renderer {
  readonly pool: SandboxPool;
  readonly stats: RendererStats = { renders: 0, hits: 0 };
  readonly #cache = new Map<string, Promise<DesiredObject[]>>();
  readonly #templatesKeys = new WeakMap<Pack, string>();
  readonly #workspace: ContentWorkspace;

  constructor(options: { sandbox?: SandboxSettings; content?: ContentSource } = {}) {
    this.pool = new SandboxPool(options.sandbox);
    this.#workspace = new ContentWorkspace(options.content ?? null);
  }

  /** Returns the objects one layer renders to (shared across clusters: do not mutate). */
  layer(layer: ResolvedLayer, pack: Pack, capabilities: RenderCapabilities): Promise<DesiredObject[]> {
    if (!rendersObjects(pack)) return Promise.resolve([]);
    const key = this.#cacheKey(layer, pack, capabilities);
    const cached = this.#cache.get(key);
    if (cached) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      this.stats.hits += 1;
      return cached;
    }
    const rendering = this.#render(layer, pack, capabilities).then((objects) =>
      objects.map((object) => {
        const ref = refOf(object);
        return { ref, key: refKey(ref), hash: hashObject(object), pack: layer.pack, object };
      }),
    );
    this.#cache.set(key, rendering);
    if (this.#cache.size > CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    // A failed render is not remembered: it may have failed for want of resources, and is computed again.
    rendering.catch(() => {
      if (this.#cache.get(key) === rendering) this.#cache.delete(key);
    });
    return rendering;
  }

  /** Returns every object a stack renders to, layer by layer in stack order. */
  async stack(stack: readonly ResolvedLayer[], catalog: Catalog): Promise<DesiredObject[]> {
    const capabilities = capabilitiesOf(stack);
    const layers = await Promise.all(
      stack.map((layer) => this.layer(layer, catalog.require(layer.pack, layer.version), capabilities)),
    );
    return layers.flat();
  }

  /**
   * Renders a pack with the given values as a check (a pack being registered, a profile being saved); returns
   * its objects. `shapeErrorCode` names what a wrong-shaped object is (`PackInvalid` for a pack's own defaults).
   */
  async check(
    pack: Pack,
    values: Record<string, unknown>,
    options: { profile: string; shapeErrorCode: ObjectsOptions['shapeErrorCode'] },
  ): Promise<KubeObject[]> {
    if (!rendersObjects(pack)) return [];
    const layer: ResolvedLayer = {
      profile: options.profile,
      pack: pack.name,
      version: pack.version,
      layer: pack.layer,
      values: pack.kind === 'strata' ? '' : YAML.stringify(values),
      presets: [],
    };
    return this.#objects(layer, pack, capabilitiesOf([]), options.shapeErrorCode, 'validation', values);
  }

  /** Makes an archive renderable by digest before it is stored (proving a pack being added); returns its undo. */
  stageContent(digest: string, data: Buffer): () => void {
    return this.#workspace.stage(digest, data);
  }

  /** Stops the render workers and removes the content folder. */
  async close(): Promise<void> {
    await this.pool.close();
    this.#workspace.close();
  }

  #cacheKey(layer: ResolvedLayer, pack: Pack, capabilities: RenderCapabilities): string {
    const content = pack.kind === 'strata' ? this.#templatesKey(pack) : (pack.content?.digest ?? '');
    // Charts may read the Kubernetes version; Strata templates, manifests and kustomize bases do not.
    const kube = pack.kind === 'helm' ? capabilities.kubeVersion : '';
    return [
      pack.name,
      pack.version,
      pack.kind,
      content,
      layer.profile,
      namespaceOf(layer),
      kube,
      layer.values,
    ].join('\u0000');
  }

  #render(layer: ResolvedLayer, pack: Pack, capabilities: RenderCapabilities): Promise<KubeObject[]> {
    this.stats.renders += 1;
    // A placeholder cluster label (and no `cluster` variable): renders are shared by clusters with equal values.
    return this.#objects(layer, pack, capabilities, 'TemplateRenderFailed', SHARED_CLUSTER);
  }

  async #objects(
    layer: ResolvedLayer,
    pack: Pack,
    capabilities: RenderCapabilities,
    shapeErrorCode: ObjectsOptions['shapeErrorCode'],
    cluster: string,
    strataValues?: Record<string, unknown>,
  ): Promise<KubeObject[]> {
    const ctx = { cluster, profile: layer.profile };
    if (pack.kind === 'strata') {
      const values =
        strataValues ??
        (valuesData(layer.values, `values of ${pack.name}@${pack.version}`) as Record<string, unknown>);
      return objectsOfRender(pack, await this.#renderStrata(pack, values, layer.profile), ctx, {
        shapeErrorCode,
      });
    }
    const rendered =
      pack.kind === 'helm'
        ? await this.#renderChart(layer, pack, capabilities)
        : await this.#renderOverlay(layer, pack);
    const options = {
      shapeErrorCode,
      defaultNamespace: namespaceOf(layer),
      clusterScopedKinds: clusterScopedCustomKinds(rendered),
    };
    const objects = objectsOfRender(pack, rendered, ctx, options);
    // Charts and bases do not carry the namespace they are installed into (`helm install --create-namespace`
    // makes it): the layer's namespace is made and managed with the layer when objects land in it.
    const namespace = namespaceOf(layer);
    const needed =
      objects.some((o) => o.metadata.namespace === namespace) &&
      !objects.some((o) => o.kind === 'Namespace' && o.metadata.name === namespace);
    if (!needed) return objects;
    const namespaceDoc = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
    return objectsOfRender(
      pack,
      [{ name: 'namespace', documents: [namespaceDoc] }, ...rendered],
      ctx,
      options,
    );
  }

  /** Renders a chart with Helm's own engine (`helm template`), the layer's values and the cluster's capabilities. */
  async #renderChart(
    layer: ResolvedLayer,
    pack: Pack,
    capabilities: RenderCapabilities,
  ): Promise<RenderedDocuments[]> {
    const [helm, chart, scratch] = await Promise.all([
      pinnedTool('helm'),
      this.#workspace.chartArchive(pack),
      this.#workspace.scratch(),
    ]);
    const label = `${pack.name}@${pack.version}`;
    try {
      await writeFile(join(scratch, 'values.yaml'), layer.values, { mode: 0o600 });
      const text = await runTool(
        helm.path,
        [
          'template',
          layer.pack,
          chart,
          '--namespace',
          namespaceOf(layer),
          '--kube-version',
          `v${capabilities.kubeVersion}`,
          '--include-crds',
          '--skip-tests',
          '--values',
          'values.yaml',
        ],
        {
          cwd: scratch,
          env: {
            HOME: scratch,
            HELM_CACHE_HOME: join(scratch, 'cache'),
            HELM_CONFIG_HOME: join(scratch, 'config'),
            HELM_DATA_HOME: join(scratch, 'data'),
          },
          failure: {
            code: 'TemplateRenderFailed',
            subject: `Pack ${label}: helm template failed`,
            details: { pack: pack.name, version: pack.version },
          },
        },
      );
      return await this.#readYaml(text, `Pack ${label}: helm template renders`, pack);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Builds a kustomize or manifest pack with kustomize (`kubectl kustomize`), the layer's values as an overlay. */
  async #renderOverlay(layer: ResolvedLayer, pack: Pack): Promise<RenderedDocuments[]> {
    const [kubectl, base, scratch] = await Promise.all([
      pinnedTool('kubectl'),
      this.#workspace.contentFolder(pack),
      this.#workspace.scratch(),
    ]);
    const label = `${pack.name}@${pack.version}`;
    try {
      const overlay = valuesData(layer.values, `values of ${label}`) as Record<string, unknown>;
      checkOverlayValues(overlay, `values of ${label}`);
      const kustomization = {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [relative(scratch, base)],
        ...Object.fromEntries(
          Object.entries(overlay).filter(([, v]) => !(Array.isArray(v) && v.length === 0)),
        ),
      };
      await writeFile(join(scratch, 'kustomization.yaml'), YAML.stringify(kustomization), { mode: 0o600 });
      const text = await runTool(kubectl.path, ['kustomize', '.'], {
        cwd: scratch,
        env: { HOME: scratch },
        failure: {
          code: 'TemplateRenderFailed',
          subject: `Pack ${label}: kustomize build failed`,
          details: { pack: pack.name, version: pack.version },
        },
      });
      return await this.#readYaml(text, `Pack ${label}: kustomize builds`, pack);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  #readYaml(text: string, subject: string, pack: Pack): Promise<RenderedDocuments[]> {
    return this.pool.run({
      type: 'yaml',
      texts: [{ text, subject, details: { pack: pack.name, version: pack.version } }],
      code: 'TemplateRenderFailed',
    });
  }

  #renderStrata(pack: Pack, values: Record<string, unknown>, profile: string): Promise<RenderedDocuments[]> {
    return this.pool.run({
      type: 'strata',
      pack: `${pack.name}@${pack.version}`,
      templatesKey: this.#templatesKey(pack),
      templates: pack.manifests.map((m) => ({ name: m.name, source: m.template })),
      variables: JSON.stringify({ values, profile, pack: { name: pack.name, version: pack.version } }),
    });
  }

  /** Returns a digest of a pack's templates (once per Pack object): the identity of what renders. */
  #templatesKey(pack: Pack): string {
    let key = this.#templatesKeys.get(pack);
    if (!key) {
      const h = createHash('sha256');
      for (const m of pack.manifests) h.update(`${m.name}\u0000${m.template}\u0000`);
      key = h.digest('base64url');
      this.#templatesKeys.set(pack, key);
    }
    return key;
  }
}

/** True when a pack puts objects on clusters (OS and Kubernetes packs configure nodes and render none). */
export function rendersObjects(pack: Pack): boolean {
  return pack.kind !== 'strata' || pack.manifests.length > 0;
}

/** Returns the namespace a chart, manifest or kustomize layer's objects go to: its own, or the pack's name. */
export function namespaceOf(layer: ResolvedLayer): string {
  return layer.namespace ?? layer.pack;
}

/** Returns the custom kinds (`group/version/Kind`) a render's own CRDs declare cluster-scoped. */
function clusterScopedCustomKinds(rendered: readonly RenderedDocuments[]): Set<string> {
  const kinds = new Set<string>();
  for (const { documents } of rendered) {
    for (const doc of documents) {
      const crd = doc as {
        kind?: unknown;
        spec?: {
          group?: unknown;
          scope?: unknown;
          names?: { kind?: unknown };
          versions?: Array<{ name?: unknown }>;
        };
      };
      if (crd?.kind !== 'CustomResourceDefinition' || crd.spec?.scope !== 'Cluster') continue;
      for (const v of crd.spec.versions ?? [])
        kinds.add(`${crd.spec.group}/${v.name}/${crd.spec.names?.kind}`);
    }
  }
  return kinds;
}

/** Returns the capabilities a stack is rendered for: its Kubernetes layer's version (a default without one). */
export function capabilitiesOf(stack: readonly ResolvedLayer[]): RenderCapabilities {
  const k8s = stack.find((l) => l.layer === 'k8s');
  return { kubeVersion: k8s?.version ?? DEFAULT_KUBE_VERSION };
}

/** The Kubernetes version assumed for a stack without a Kubernetes layer (an existing cluster's add-ons). */
export const DEFAULT_KUBE_VERSION = '1.32.0';
