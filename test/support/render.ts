/**
 * The real renderer for tests (sandboxed render workers; idle workers do not keep a test process alive), and the
 * small shapes tests used before rendering became asynchronous: a layer's objects labelled for one cluster, a
 * stack's desired objects, an update proposal.
 */
import type { Catalog } from '../../src/core/catalog.ts';
import { type DesiredObject, forCluster } from '../../src/core/desired.ts';
import type { KubeObject, Pack, ProfileVersion, ResolvedLayer } from '../../src/core/model.ts';
import type { RenderContext } from '../../src/core/render.ts';
import type { ClusterForUpdate, UpdateProposal, UpdateRequest } from '../../src/core/workflows.ts';
import { proposeClusterUpdate } from '../../src/engine/proposals.ts';
import { capabilitiesOf, Renderer } from '../../src/render/renderer.ts';

/** One renderer per test process. */
export const testRenderer = new Renderer({ sandbox: { workers: 1 } });

/** Returns the objects a pack renders from `values`, labelled for `ctx.cluster` as they would be applied. */
export async function renderLayer(pack: Pack, values: string, ctx: RenderContext): Promise<KubeObject[]> {
  const layer: ResolvedLayer = {
    profile: ctx.profile,
    pack: pack.name,
    version: pack.version,
    layer: pack.layer,
    values,
    presets: [],
  };
  const desired = await testRenderer.layer(layer, pack, capabilitiesOf([]));
  return desired.map((d) => forCluster(d, ctx.cluster));
}

/** Returns what a stack renders to. */
export function desiredObjectsOfStack(
  stack: readonly ResolvedLayer[],
  catalog: Catalog,
): Promise<DesiredObject[]> {
  return testRenderer.stack(stack, catalog);
}

/** Returns the proposal of an update request, rendered by the test renderer. */
export function proposeUpdate(
  cluster: ClusterForUpdate,
  current: ProfileVersion[],
  request: UpdateRequest,
  catalog: Catalog,
): Promise<UpdateProposal> {
  return proposeClusterUpdate(cluster, current, request, catalog, testRenderer);
}
