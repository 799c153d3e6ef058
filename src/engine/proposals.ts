/**
 * Update proposals for the engine: where a request leads (core), rendered (src/render), planned (core) — and
 * remembered by their inputs, so a fleet computes each distinct plan once.
 */
import type { Catalog } from '../core/catalog.ts';
import type { ProfileVersion } from '../core/model.ts';
import {
  type ClusterForUpdate,
  planUpdateTarget,
  proposalCacheKey,
  proposeUpdateTarget,
  type UpdateProposal,
  type UpdateRequest,
} from '../core/workflows.ts';
import type { Renderer } from '../render/renderer.ts';

/** What a proposal includes beyond the plan itself. */
export interface ProposeOptions {
  /**
   * Name the changed fields of each changed object (a plan a person reads): renders the current stack too.
   * Fleet rollouts and reconciles leave it off.
   */
  fieldPaths?: boolean;
}

/** Returns the plan and resulting spec of an update request, its target rendered by `renderer`. */
export async function proposeClusterUpdate(
  cluster: ClusterForUpdate,
  current: ProfileVersion[],
  request: UpdateRequest,
  catalog: Catalog,
  renderer: Renderer,
  options: ProposeOptions = { fieldPaths: true },
): Promise<UpdateProposal> {
  const target = proposeUpdateTarget(cluster, current, request, catalog);
  const [desired, running] = await Promise.all([
    renderer.stack(target.pending.stack, catalog),
    options.fieldPaths ? renderer.stack(target.currentStack, catalog) : Promise.resolve(undefined),
  ]);
  return planUpdateTarget(cluster, target, desired, catalog, running);
}

/** A bounded memo of proposals by `proposalCacheKey`; proposals are shared, so callers must not mutate them. */
export class ProposalCache {
  private readonly entries = new Map<string, Promise<UpdateProposal>>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly renderer: Renderer,
    private readonly limit = 10_000,
  ) {}

  /** Returns the cached proposal for these inputs, computing it on a miss (concurrent misses share one). */
  async propose(
    cluster: ClusterForUpdate,
    current: ProfileVersion[],
    request: UpdateRequest,
    catalog: Catalog,
    options: ProposeOptions = {},
  ): Promise<UpdateProposal> {
    const key = `${proposalCacheKey(cluster, current, request)}${options.fieldPaths ? ':paths' : ''}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.hits += 1;
      const shared = await hit;
      return { ...shared, spec: { ...shared.spec, name: cluster.spec.name, labels: cluster.spec.labels } };
    }
    this.misses += 1;
    const proposal = proposeClusterUpdate(cluster, current, request, catalog, this.renderer, options);
    this.entries.set(key, proposal);
    proposal.catch(() => {
      if (this.entries.get(key) === proposal) this.entries.delete(key);
    });
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
    return proposal;
  }
}
