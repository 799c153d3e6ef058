/**
 * Routes of profiles: create (JSON or YAML), list, versions, one version (current or at a revision), in-place
 * edit with optimistic concurrency, revision history with diffs, and "create a new version" (copy).
 */

import type { FastifyBaseLogger } from 'fastify';
import { withCatalogRefresh } from '../../catalog/user-packs.ts';
import { StrataError } from '../../core/errors.ts';
import {
  copyProfileVersion,
  parseProfileDocument,
  reviseProfileVersion,
  validateProfileVersion,
} from '../../core/profile.ts';
import { checkProfileValues } from '../../render/values-schema.ts';
import { countClustersOnProfile } from '../../store/clusters.ts';
import {
  createProfileVersion,
  editProfileVersion,
  getProfileAtRevision,
  getProfileVersion,
  listProfileRevisions,
  listProfileVersions,
  type StoredProfileVersion,
} from '../../store/profiles.ts';
import { auditOf } from '../auth.ts';
import { packSources, restoreHiddenValues } from '../hidden-values.ts';
import { diffProfileRevisions } from '../revision-diff.ts';
import { type ApiApp, callerOf, type RouteContext } from '../route-context.ts';
import {
  copyProfileSchema,
  nameParams,
  nameVersionParams,
  PROFILE_OUTPUT_FIELDS,
  profileDocumentSchema,
  profileEditSchema,
  revisionDiffQuery,
  revisionQuery,
} from '../schemas.ts';
import { retryTransient } from '../transient.ts';

/** The warning every in-place edit answers with. */
export const IN_PLACE_EDIT_WARNING =
  'Edited in place: every cluster on this version now shows an update available. Creating a new version (POST …/copy) and moving clusters to it is the safer practice.';

function summary(pv: StoredProfileVersion) {
  return {
    name: pv.name,
    version: pv.version,
    revision: pv.revision,
    type: pv.type,
    cloudType: pv.cloudType,
    description: pv.description,
    layers: pv.layers.map((l) => ({ pack: l.pack, version: l.version, presets: l.presets })),
    resourceVersion: pv.resourceVersion,
    updatedAt: pv.updatedAt,
  };
}

async function requireProfile(
  ctx: RouteContext,
  name: string,
  version: string,
): Promise<StoredProfileVersion> {
  const pv = await getProfileVersion(ctx.store.db, name, version);
  if (!pv) throw new StrataError('NotFound', `Profile ${name}@${version} not found.`, { name, version });
  return pv;
}

/** Returns a profile document without the fields the server keeps (revision, times, resourceVersion). */
function writableFields<T extends Record<string, unknown>>(body: T): Omit<T, 'resourceVersion'> {
  const { resourceVersion: _checked, ...rest } = body;
  for (const field of PROFILE_OUTPUT_FIELDS) delete (rest as Record<string, unknown>)[field];
  return rest;
}

/**
 * Returns a profile document whose layer values have each `(hidden)` restored (hidden-values.ts) from what the
 * writer read: `stored(pack)` — the current revision's layer on an edit — then the pack's defaults and presets.
 */
function withRestoredValues<T extends { layers: Array<{ pack: string; version: string; values?: unknown }> }>(
  ctx: RouteContext,
  doc: T,
  stored: (pack: string) => string | undefined,
): T {
  return {
    ...doc,
    layers: doc.layers.map((layer, i) =>
      typeof layer.values === 'string'
        ? {
            ...layer,
            values: restoreHiddenValues(
              layer.values,
              [stored(layer.pack), ...packSources(ctx.catalog, layer.pack, layer.version)],
              `body.layers.${i}.values`,
              ctx.secrets,
            ),
          }
        : layer,
    ),
  };
}

/** Returns the resourceVersion an edit was based on: the body field, else `If-Match`; refuses neither. */
function expectedVersionOf(bodyVersion: number | undefined, ifMatch: string | string[] | undefined): number {
  if (bodyVersion !== undefined) return bodyVersion;
  if (typeof ifMatch === 'string') {
    const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(ifMatch);
    if (match) return Number(match[1]);
    throw new StrataError('ValidationFailed', 'If-Match must hold the resourceVersion read, e.g. "3".', {
      field: 'headers.if-match',
    });
  }
  throw new StrataError(
    'ValidationFailed',
    'An edit needs the resourceVersion you read (body field resourceVersion or the If-Match header), so concurrent edits cannot overwrite each other.',
    { field: 'body.resourceVersion' },
  );
}

/**
 * Tells the engine about a new revision so every cluster on the version reports `UpdateAvailable`; returns what
 * happened. The edit is committed by then, so an engine failure is logged and reported, not turned into a 500
 * that would make the user retry an edit that succeeded.
 */
async function announceRevision(
  ctx: RouteContext,
  log: FastifyBaseLogger,
  name: string,
  version: string,
  revision: number,
): Promise<'queued' | 'engine-not-running' | 'failed'> {
  if (!ctx.engine?.markUpdateAvailable) return 'engine-not-running';
  try {
    await ctx.engine.markUpdateAvailable(name, version, revision);
    return 'queued';
  } catch (error) {
    log.error({ err: error }, `marking clusters on ${name}@${version} as update-available failed`);
    return 'failed';
  }
}

/** Registers the profile routes. */
export function registerProfileRoutes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/v1/profiles',
    { schema: { tags: ['profiles'], summary: 'List profile versions' }, config: { access: 'viewer' } },
    async () => ({ items: (await listProfileVersions(ctx.store.db)).map(summary) }),
  );

  app.post(
    '/v1/profiles',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Create a profile version (JSON, or the profile file as application/yaml)',
        body: profileDocumentSchema,
      },
      config: { access: 'operator' },
    },
    async (request, reply) => {
      const body = withRestoredValues(ctx, writableFields(request.body), () => undefined);
      const pv = await withCatalogRefresh(ctx.store.db, ctx.catalog, async () =>
        validateProfileVersion(parseProfileDocument(body), ctx.catalog),
      );
      await checkProfileValues(ctx.renderer, pv, ctx.catalog);
      const stored = await retryTransient(() =>
        createProfileVersion(ctx.store.db, auditOf(callerOf(request)), pv),
      );
      ctx.events.publish({ kind: 'profile.created', data: { profile: `${pv.name}@${pv.version}` } });
      return reply.code(201).header('ETag', `"${stored.resourceVersion}"`).send(stored);
    },
  );

  app.get(
    '/v1/profiles/:name',
    {
      schema: { tags: ['profiles'], summary: 'Versions of a profile', params: nameParams },
      config: { access: 'viewer' },
    },
    async (request) => {
      const versions = await listProfileVersions(ctx.store.db, request.params.name);
      if (versions.length === 0) {
        throw new StrataError('NotFound', `Profile ${request.params.name} not found.`, {
          name: request.params.name,
        });
      }
      return { name: request.params.name, versions: versions.map(summary) };
    },
  );

  app.get(
    '/v1/profiles/:name/versions/:version',
    {
      schema: {
        tags: ['profiles'],
        summary: 'A profile version at its current revision (with resourceVersion), or at ?revision=N',
        params: nameVersionParams,
        querystring: revisionQuery,
      },
      config: { access: 'viewer' },
    },
    async (request, reply) => {
      const { name, version } = request.params;
      const current = await requireProfile(ctx, name, version);
      const revision = request.query.revision;
      if (revision === undefined || revision === current.revision) {
        return reply.header('ETag', `"${current.resourceVersion}"`).send(current);
      }
      const past = await getProfileAtRevision(ctx.store.db, name, version, revision);
      if (!past) {
        throw new StrataError(
          'NotFound',
          `Profile ${name}@${version} has no revision ${revision} (current: ${current.revision}).`,
          {
            name,
            version,
            revision,
          },
        );
      }
      return { ...past, currentRevision: current.revision };
    },
  );

  app.put(
    '/v1/profiles/:name/versions/:version',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Edit a profile version in place (new revision); needs resourceVersion or If-Match',
        params: nameVersionParams,
        body: profileEditSchema,
      },
      config: { access: 'operator' },
    },
    async (request) => {
      const { name, version } = request.params;
      const expected = expectedVersionOf(request.body.resourceVersion, request.headers['if-match']);
      const current = await requireProfile(ctx, name, version);
      const body = withRestoredValues(
        ctx,
        writableFields(request.body),
        (pack) => current.layers.find((l) => l.pack === pack)?.values,
      );
      const revised = await withCatalogRefresh(ctx.store.db, ctx.catalog, async () =>
        reviseProfileVersion(current, parseProfileDocument(body), ctx.catalog),
      );
      await checkProfileValues(ctx.renderer, revised, ctx.catalog);
      const stored = await retryTransient(() =>
        editProfileVersion(ctx.store.db, auditOf(callerOf(request)), {
          name,
          version,
          expectedResourceVersion: expected,
          layers: revised.layers,
          description: revised.description,
        }),
      );
      const clustersUsing = await countClustersOnProfile(ctx.store.db, { name, version });
      const updateAvailable = await announceRevision(ctx, request.log, name, version, stored.revision);
      ctx.events.publish({
        kind: 'profile.edited',
        data: { profile: `${name}@${version}`, revision: stored.revision, clustersUsing },
      });
      return { profile: stored, clustersUsing, updateAvailable, warning: IN_PLACE_EDIT_WARNING };
    },
  );

  app.get(
    '/v1/profiles/:name/versions/:version/revisions',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Revision history; with ?from=&to= the per-layer diff between two revisions',
        params: nameVersionParams,
        querystring: revisionDiffQuery,
      },
      config: { access: 'viewer' },
    },
    async (request) => {
      const { name, version } = request.params;
      const revisions = await listProfileRevisions(ctx.store.db, name, version);
      if (revisions.length === 0) {
        throw new StrataError('NotFound', `Profile ${name}@${version} not found.`, { name, version });
      }
      const { from, to } = request.query;
      if (from === undefined && to === undefined) {
        return {
          items: revisions.map((r) => ({
            revision: r.revision,
            description: r.description,
            layers: r.layers.map((l) => ({ pack: l.pack, version: l.version, presets: l.presets })),
            createdAt: r.createdAt,
            createdBy: r.createdBy,
          })),
        };
      }
      const toRevision = to ?? revisions[revisions.length - 1]!.revision;
      const fromRevision = from ?? Math.max(1, toRevision - 1);
      const find = (n: number) => {
        const r = revisions.find((x) => x.revision === n);
        if (!r) {
          throw new StrataError('NotFound', `Profile ${name}@${version} has no revision ${n}.`, {
            name,
            version,
            revision: n,
          });
        }
        return r;
      };
      const a = find(fromRevision);
      const b = find(toRevision);
      return {
        from: fromRevision,
        to: toRevision,
        layers: diffProfileRevisions(a.layers, b.layers),
      };
    },
  );

  app.post(
    '/v1/profiles/:name/versions/:version/copy',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Create a new version: copy this version (current revision) to a new semver',
        params: nameVersionParams,
        body: copyProfileSchema,
      },
      config: { access: 'operator' },
    },
    async (request, reply) => {
      const source = await requireProfile(ctx, request.params.name, request.params.version);
      const copy = copyProfileVersion(source, request.body.version);
      const stored = await retryTransient(() =>
        createProfileVersion(ctx.store.db, auditOf(callerOf(request)), copy),
      );
      ctx.events.publish({ kind: 'profile.created', data: { profile: `${copy.name}@${copy.version}` } });
      return reply.code(201).header('ETag', `"${stored.resourceVersion}"`).send(stored);
    },
  );
}
