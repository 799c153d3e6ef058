/**
 * Routes of clusters. Reads come from the store; every action goes through the engine's commands and answers
 * 503 `Unavailable` while the engine is not running.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StrataError } from '../../core/errors.ts';
import { parseProfileRef } from '../../core/profile.ts';
import { parseSelector } from '../../core/rollout.ts';
import { HIDDEN_VALUE, parseValues } from '../../core/values.ts';
import type { ClusterChangeInput, EngineCommands } from '../../engine/contract.ts';
import {
  type ClusterCounts,
  type ClusterQuery,
  clusterDocument,
  countClusters,
  getCluster,
  getClusterJson,
  listClustersJson,
  type StoredCluster,
} from '../../store/clusters.ts';
import { listEvents } from '../../store/events.ts';
import { listNodes } from '../../store/node-pools.ts';
import { auditOf, requireRole } from '../auth.ts';
import { clusterLayerSources, restoreHiddenValues } from '../hidden-values.ts';
import { type ApiApp, callerOf, type RouteContext } from '../route-context.ts';
import {
  clusterChangeSchema,
  clusterListQuery,
  clusterUpdateSchema,
  confirmQuery,
  createClusterSchema,
  eventsQuery,
  kubeconfigQuery,
  nameParams,
  overrideSchema,
  pruneSchema,
  repaveActionSchema,
} from '../schemas.ts';
import { retryTransient } from '../transient.ts';
import { openLiveStream } from './events.ts';

/** Returns the engine, or throws the 503 that says it is not running. */
export function requireEngine(ctx: RouteContext): EngineCommands {
  if (ctx.engine) return ctx.engine;
  throw new StrataError(
    'Unavailable',
    'The engine is not running in this server, so clusters cannot be changed yet; reads still work.',
    { reason: 'EngineNotRunning' },
  );
}

/**
 * Throws `ConfirmationRequired` unless `confirm` repeats the cluster's name: destructive calls are explicit, so
 * a script that did not mean it (a replayed request, a wrong name) changes nothing.
 */
function requireConfirmation(confirm: string | undefined, name: string, what: string): void {
  if (confirm === name) return;
  throw new StrataError(
    'ConfirmationRequired',
    confirm === undefined
      ? `${what} needs confirmation: repeat the cluster name as ?confirm=${name}.`
      : `${what} needs confirmation: ?confirm=${name} must name this cluster (it names another).`,
    { field: 'querystring.confirm', expected: name },
  );
}

/**
 * Returns a cluster change whose values texts (an override, merge resolutions) have each `(hidden)` restored
 * from what the caller read (hidden-values.ts); the store is read only when one holds a `(hidden)`. The
 * credentials of a written override become known secrets, masked wherever else they appear.
 */
async function withRestoredValues<T extends ClusterChangeInput>(
  ctx: RouteContext,
  name: string,
  change: T,
): Promise<T> {
  if (change.kind === 'override' && typeof change.values === 'string') {
    let values = change.values;
    if (values.includes(HIDDEN_VALUE)) {
      const sources = await clusterLayerSources(
        ctx.store,
        ctx.catalog,
        await getCluster(ctx.store.db, name),
        change.pack,
      );
      values = restoreHiddenValues(values, sources, 'body.values', ctx.secrets);
    }
    ctx.secrets.learnValues(values);
    return { ...change, values };
  }
  if (change.kind === 'profiles' && change.resolutions) {
    const resolutions: Record<string, string> = {};
    const cluster = Object.values(change.resolutions).some((t) => t.includes(HIDDEN_VALUE))
      ? await getCluster(ctx.store.db, name)
      : undefined;
    for (const [pack, text] of Object.entries(change.resolutions)) {
      resolutions[pack] = text.includes(HIDDEN_VALUE)
        ? restoreHiddenValues(
            text,
            await clusterLayerSources(ctx.store, ctx.catalog, cluster, pack, change.profiles),
            `body.resolutions.${pack}`,
            ctx.secrets,
          )
        : text;
      ctx.secrets.learnValues(resolutions[pack]!);
    }
    return { ...change, resolutions };
  }
  return change;
}

function clusterNotFound(name: string): StrataError {
  return new StrataError('NotFound', `Cluster ${name} not found.`, { name });
}

async function requireCluster(ctx: RouteContext, name: string): Promise<StoredCluster> {
  const cluster = await getCluster(ctx.store.db, name);
  if (!cluster) throw clusterNotFound(name);
  return cluster;
}

/** Sends JSON text as is (the documents the database keeps, see store/clusters.ts): no parse and stringify. */
function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(text);
}

/**
 * Applies a change through the engine (its values' `(hidden)` restored from what the caller read) and tells the
 * live stream; answers the plan view.
 */
async function applyChange(
  ctx: RouteContext,
  request: FastifyRequest & { params: { name: string } },
  input: ClusterChangeInput,
  expectedResourceVersion: number | undefined,
) {
  const engine = requireEngine(ctx);
  const change = await withRestoredValues(ctx, request.params.name, input);
  const view = await retryTransient(() =>
    engine.applyChange(auditOf(callerOf(request)), request.params.name, change, { expectedResourceVersion }),
  );
  ctx.events.publish({
    kind: 'cluster.changed',
    cluster: request.params.name,
    data: change.kind === 'override' ? { change: 'override', pack: change.pack } : { change: change.kind },
  });
  return view;
}

/** How long the counts of one set of list filters are reused: the console re-reads them at most this often. */
const COUNTS_FRESH_MS = 2000;
const COUNTS_KEPT = 256;

/**
 * Counts of the fleet by phase and health, shared for `COUNTS_FRESH_MS` between requests with the same filters
 * (the phase filter, the order and the page aside: counts do not depend on them). Counting 50,000 of 100,000
 * clusters reads their rows (tens to hundreds of ms); a console open in many browsers, each re-reading counts as
 * the fleet changes, then costs one count per filter every two seconds, not one per request.
 */
function countsCache(ctx: RouteContext) {
  const kept = new Map<string, { at: number; counts: Promise<ClusterCounts> }>();
  return (query: ClusterQuery): Promise<ClusterCounts> => {
    const { limit: _l, cursor: _c, order: _o, phase: _p, ...filters } = query;
    const key = JSON.stringify(filters);
    const now = Date.now();
    const hit = kept.get(key);
    if (hit && now - hit.at < COUNTS_FRESH_MS) return hit.counts;
    const counts = countClusters(ctx.store.db, query);
    counts.catch(() => kept.delete(key));
    kept.delete(key);
    kept.set(key, { at: now, counts });
    if (kept.size > COUNTS_KEPT) kept.delete(kept.keys().next().value!);
    return counts;
  };
}

/** Registers the cluster routes, by group. */
export function registerClusterRoutes(app: ApiApp, ctx: RouteContext): void {
  registerClusterLifecycle(app, ctx);
  registerClusterChanges(app, ctx);
  registerClusterNodes(app, ctx);
  registerClusterViews(app, ctx);
}

const tags = ['clusters'];

/** The fleet list, creating, reading and deleting a cluster. */
function registerClusterLifecycle(app: ApiApp, ctx: RouteContext): void {
  const countsOf = countsCache(ctx);

  app.get(
    '/v1/clusters',
    {
      schema: {
        tags,
        summary:
          'List clusters in name order, a page at a time (cursor), filtered by phase, health, profile=NAME@VER, Kubernetes version, labels, name prefix or part, notice; counts=phase adds counts by phase and health; summaries, or whole documents with view=full',
        querystring: clusterListQuery,
      },
      config: { access: 'viewer' },
    },
    async (request, reply) => {
      const { limit, cursor, profile, view, sort, counts, label, ...filters } = request.query;
      const query: ClusterQuery = {
        ...filters,
        limit,
        cursor,
        order: sort === '-name' ? 'desc' : 'asc',
        ...(profile === undefined ? {} : { profile: parseProfileRef(profile, 'profile') }),
        ...(label === undefined ? {} : { labels: parseSelector(label) }),
      };
      // The page arrives as JSON text rendered by the database: no parse and stringify of every cluster here.
      const [page, tally] = await Promise.all([
        listClustersJson(ctx.store.db, query, view, { oneRow: ctx.store.driver === 'pglite' }),
        counts === undefined ? undefined : countsOf(query),
      ]);
      // Whole documents carry overrides, whose credentials the answer filter hides below admin (viewer-view.ts).
      return sendJsonText(reply, tally ? `${page.slice(0, -1)},"counts":${JSON.stringify(tally)}}` : page);
    },
  );

  app.post(
    '/v1/clusters',
    {
      schema: { tags, summary: 'Create a cluster from profile versions', body: createClusterSchema },
      config: { access: 'operator' },
    },
    async (request, reply) => {
      for (const [i, ref] of request.body.profiles.entries()) parseProfileRef(ref, `profiles[${i}]`);
      // A kubeconfig is YAML: read safely here (bounded aliases, no tags) before any Kubernetes client does.
      if (request.body.kubeconfig !== undefined) parseValues(request.body.kubeconfig, 'body.kubeconfig');
      const engine = requireEngine(ctx);
      const cluster = await retryTransient(() =>
        engine.createCluster(auditOf(callerOf(request)), request.body),
      );
      ctx.events.publish({
        kind: 'cluster.created',
        cluster: cluster.name,
        data: { phase: cluster.status.phase },
      });
      return reply.code(201).send(clusterDocument(cluster));
    },
  );

  app.get(
    '/v1/clusters/:name',
    {
      schema: { tags, summary: 'A cluster: spec, status, conditions', params: nameParams },
      config: { access: 'viewer' },
    },
    async (request, reply) => {
      const doc = await getClusterJson(ctx.store.db, request.params.name);
      if (doc === undefined) throw clusterNotFound(request.params.name);
      return sendJsonText(reply, doc);
    },
  );

  app.delete(
    '/v1/clusters/:name',
    {
      schema: {
        tags,
        summary: 'Delete a cluster (confirmed with ?confirm=NAME)',
        params: nameParams,
        querystring: confirmQuery,
      },
      config: { access: 'operator' },
    },
    async (request, reply) => {
      requireConfirmation(
        request.query.confirm,
        request.params.name,
        `Deleting cluster ${request.params.name}`,
      );
      const engine = requireEngine(ctx);
      const cluster = await retryTransient(() =>
        engine.deleteCluster(auditOf(callerOf(request)), request.params.name),
      );
      ctx.events.publish({
        kind: 'cluster.deleting',
        cluster: cluster.name,
        data: { phase: cluster.status.phase },
      });
      return reply.code(202).send(clusterDocument(cluster));
    },
  );
}

/** Changes to a cluster: plan, update, overrides. */
function registerClusterChanges(app: ApiApp, ctx: RouteContext): void {
  app.post(
    '/v1/clusters/:name/plan',
    {
      schema: {
        tags,
        summary: 'Plan a change without applying it',
        params: nameParams,
        body: clusterChangeSchema,
      },
      config: { access: 'viewer' },
    },
    async (request) => {
      const engine = requireEngine(ctx);
      const change = await withRestoredValues(ctx, request.params.name, request.body as ClusterChangeInput);
      return retryTransient(() => engine.planChange(request.params.name, change));
    },
  );

  app.post(
    '/v1/clusters/:name/update',
    {
      schema: {
        tags,
        summary: 'Apply a change (re-planned; refused when the plan has errors or the cluster moved on)',
        params: nameParams,
        body: clusterUpdateSchema,
      },
      config: { access: 'operator' },
    },
    async (request) => {
      const { expectedResourceVersion, ...body } = request.body;
      return applyChange(ctx, request, body as ClusterChangeInput, expectedResourceVersion);
    },
  );

  app.post(
    '/v1/clusters/:name/overrides',
    {
      schema: {
        tags,
        summary: "Override a layer's values on this cluster",
        params: nameParams,
        body: overrideSchema,
      },
      config: { access: 'operator' },
    },
    async (request) => {
      const { expectedResourceVersion, ...override } = request.body;
      return applyChange(ctx, request, { kind: 'override', ...override }, expectedResourceVersion);
    },
  );
}

/** Nodes and what replaces or removes things: repave, nodes, prune. */
function registerClusterNodes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/v1/clusters/:name/repave',
    {
      schema: { tags, summary: 'Repave state (Pending with reasons, Approved, …)', params: nameParams },
      config: { access: 'viewer' },
    },
    async (request) => {
      const cluster = await requireCluster(ctx, request.params.name);
      return {
        cluster: cluster.name,
        repave: cluster.status.repave,
        settings: { repave: cluster.spec.settings.repave },
      };
    },
  );

  app.get(
    '/v1/clusters/:name/nodes',
    {
      schema: { tags, summary: 'Nodes by pool: readiness, OS image, kubelet version', params: nameParams },
      config: { access: 'viewer' },
    },
    async (request) => {
      const cluster = await requireCluster(ctx, request.params.name);
      const nodes = await listNodes(ctx.store.db, cluster.name);
      return {
        cluster: cluster.name,
        items: nodes.map((n) => ({
          name: n.name,
          pool: n.pool,
          state: String(n.info['state'] ?? 'Unknown'),
          ready: n.info['state'] === 'Ready',
          osImage: typeof n.info['osImage'] === 'string' ? n.info['osImage'] : undefined,
          kubeletVersion: typeof n.info['kubeletVersion'] === 'string' ? n.info['kubeletVersion'] : undefined,
          instanceType: typeof n.info['instanceType'] === 'string' ? n.info['instanceType'] : undefined,
          createdAt:
            typeof n.info['createdAt'] === 'string' && n.info['createdAt']
              ? n.info['createdAt']
              : n.createdAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/v1/clusters/:name/repave',
    {
      schema: {
        tags,
        summary: 'Approve a pending repave (confirmed with ?confirm=NAME)',
        params: nameParams,
        querystring: confirmQuery,
        body: repaveActionSchema,
      },
      config: { access: 'operator' },
    },
    async (request) => {
      requireConfirmation(
        request.query.confirm,
        request.params.name,
        `Approving the repave of cluster ${request.params.name} (its nodes are replaced)`,
      );
      const engine = requireEngine(ctx);
      const cluster = await retryTransient(() =>
        engine.approveRepave(auditOf(callerOf(request)), request.params.name),
      );
      ctx.events.publish({
        kind: 'cluster.changed',
        cluster: cluster.name,
        data: { change: 'repave-approved' },
      });
      return { cluster: cluster.name, repave: cluster.status.repave };
    },
  );

  app.post(
    '/v1/clusters/:name/prune',
    {
      schema: {
        tags,
        summary:
          'Delete unused objects: a preview unless dryRun is false (then confirmed with ?confirm=NAME); over the cap needs force',
        params: nameParams,
        querystring: confirmQuery,
        body: pruneSchema,
      },
      config: { access: 'operator' },
    },
    async (request) => {
      const options = request.body ?? { dryRun: true, force: false };
      if (!options.dryRun) {
        requireConfirmation(
          request.query.confirm,
          request.params.name,
          `Pruning cluster ${request.params.name}`,
        );
      }
      const engine = requireEngine(ctx);
      return retryTransient(() => engine.prune(auditOf(callerOf(request)), request.params.name, options));
    },
  );
}

/** What runs on a cluster and what happened to it: workloads, kubeconfig, events and their stream. */
function registerClusterViews(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/v1/clusters/:name/workloads',
    {
      schema: { tags, summary: 'Pods, deployments and services by namespace', params: nameParams },
      config: { access: 'viewer' },
    },
    async (request) => requireEngine(ctx).workloads(request.params.name),
  );

  app.get(
    '/v1/clusters/:name/kubeconfig',
    {
      schema: {
        tags,
        summary: 'Kubeconfig (admin needs operator; read-only for viewers)',
        params: nameParams,
        querystring: kubeconfigQuery,
      },
      config: { access: 'viewer' },
    },
    async (request, reply) => {
      const role = request.query.role;
      if (role === 'admin') requireRole(callerOf(request), 'operator', 'An admin kubeconfig');
      const text = await requireEngine(ctx).kubeconfig(request.params.name, role);
      return reply.type('application/yaml; charset=utf-8').header('Cache-Control', 'no-store').send(text);
    },
  );

  app.get(
    '/v1/clusters/:name/events',
    {
      schema: {
        tags,
        summary: "A cluster's events: newest first, or after ?afterId= (oldest first)",
        params: nameParams,
        querystring: eventsQuery,
      },
      config: { access: 'viewer' },
    },
    async (request) => {
      await requireCluster(ctx, request.params.name);
      const items = await listEvents(ctx.store.db, request.params.name, request.query);
      const last = items[items.length - 1];
      return { items, lastId: last?.id ?? null };
    },
  );

  app.get(
    '/v1/clusters/:name/events/stream',
    {
      schema: {
        tags,
        summary: 'Live events of one cluster (server-sent events; ?token= accepted)',
        params: nameParams,
      },
      config: { access: 'viewer', queryToken: true },
    },
    async (request, reply) => {
      openLiveStream(ctx, request, reply, { cluster: request.params.name });
    },
  );
}
