/**
 * Paths of the REST API, built from typed arguments so no client writes a path by hand: a renamed route or
 * query parameter fails to compile in every client. Query types come from the API's own zod schemas (what the
 * server validates a request into, every field optional since the server fills the defaults), as types only.
 */
import type { z } from 'zod';
import type { clusterListQuery } from '../api/schemas.ts';

/** The query of `GET /v1/clusters`, as the server's schema accepts it. */
export type ClusterListQuery = Partial<z.output<typeof clusterListQuery>>;

type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** Returns `base` with the defined, non-empty `query` values as its query string (in the order given). */
function withQuery(
  base: string,
  query: Readonly<Record<string, string | number | boolean | undefined>>,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

/** `GET /v1/clusters` with filters, order, counts and a page cursor. */
export function clusterListPath(query: ClusterListQuery = {}): string {
  return withQuery(API_PATHS.clusters, query);
}

/** `GET /v1/clusters/{name}`, and the cluster's sub-resources (`plan`, `events`, …) with an optional query. */
export function clusterPath(name: string, sub?: string, query: Query = {}): string {
  return withQuery(`/v1/clusters/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`, query);
}

/** The API's fixed paths. */
export const API_PATHS = {
  whoami: '/v1/whoami',
  tokens: '/v1/tokens',
  profiles: '/v1/profiles',
  packs: '/v1/packs',
  clusters: '/v1/clusters',
  rollouts: '/v1/rollouts',
  eventStream: '/v1/events/stream',
} as const;

/** `/v1/profiles/{name}`. */
export function profilePath(name: string): string {
  return `/v1/profiles/${encodeURIComponent(name)}`;
}

/** `/v1/profiles/{name}/versions/{version}`, a sub-resource (`copy`, `revisions`, …) and a query. */
export function profileVersionPath(name: string, version: string, sub?: string, query: Query = {}): string {
  return withQuery(
    `${profilePath(name)}/versions/${encodeURIComponent(version)}${sub ? `/${sub}` : ''}`,
    query,
  );
}

/** `/v1/packs/{name}`, or one version of it. */
export function packPath(name: string, version?: string): string {
  const base = `/v1/packs/${encodeURIComponent(name)}`;
  return version === undefined ? base : `${base}/versions/${encodeURIComponent(version)}`;
}

/** `GET /v1/rollouts`, newest first, a page at a time. */
export function rolloutListPath(
  query: Readonly<{ limit?: number; cursor?: string; state?: string }> = {},
): string {
  return withQuery(API_PATHS.rollouts, query);
}

/** `POST /v1/rollouts/{id}/{pause|resume|cancel}`. */
export function rolloutActionPath(id: string, action: 'pause' | 'resume' | 'cancel'): string {
  return `/v1/rollouts/${encodeURIComponent(id)}/${action}`;
}

/** `GET /v1/rollouts/{id}` with an optional page of members (by wave and/or state). */
export function rolloutPath(
  id: string,
  query: Readonly<{ wave?: number; state?: string; limit?: number; cursor?: string }> = {},
): string {
  return withQuery(`/v1/rollouts/${encodeURIComponent(id)}`, query);
}
