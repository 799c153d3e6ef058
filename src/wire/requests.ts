/**
 * Request bodies of the REST API, derived from the zod schemas the API validates them with (`z.input`: what a
 * client may send, before defaults), as types only. A client that builds a body `satisfies` one of these, so
 * a field renamed or made required in a schema fails to compile in the client too.
 */
import type { z } from 'zod';
import type {
  clusterChangeSchema,
  clusterUpdateSchema,
  copyProfileSchema,
  createClusterSchema,
  overrideSchema,
  profileEditSchema,
  pruneSchema,
  repaveActionSchema,
  rolloutStartSchema,
} from '../api/schemas.ts';

/** `POST /v1/clusters`. */
export type CreateClusterRequest = z.input<typeof createClusterSchema>;
/** `POST /v1/clusters/{name}/plan`. */
export type ClusterPlanRequest = z.input<typeof clusterChangeSchema>;
/** `POST /v1/clusters/{name}/update`. */
export type ClusterUpdateRequest = z.input<typeof clusterUpdateSchema>;
/** `POST /v1/clusters/{name}/overrides`. */
export type OverrideRequest = z.input<typeof overrideSchema>;
/** `POST /v1/clusters/{name}/repave`. */
export type RepaveActionRequest = z.input<typeof repaveActionSchema>;
/** `POST /v1/clusters/{name}/prune`. */
export type PruneRequest = z.input<typeof pruneSchema>;
/** `POST /v1/profiles/{name}/versions/{version}/copy`. */
export type CopyProfileRequest = z.input<typeof copyProfileSchema>;
/** `PUT /v1/profiles/{name}/versions/{version}`. */
export type ProfileEditRequest = z.input<typeof profileEditSchema>;
/** `POST /v1/rollouts` (with `preview: true`, the preview). */
export type RolloutStartRequest = z.input<typeof rolloutStartSchema>;
