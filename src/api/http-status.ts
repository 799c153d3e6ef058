/**
 * The HTTP status of each Strata error code: the one place HTTP meets the core's error family. The map is total
 * (a code added to core/errors.ts without a status does not compile).
 */
import type { StrataErrorCode } from '../core/errors.ts';

/** Every error code's HTTP status, grouped. */
export const ERROR_STATUS: Readonly<Record<StrataErrorCode, number>> = {
  // 400: the request itself is malformed.
  BadRequest: 400,
  ValidationFailed: 400,
  InvalidSemver: 400,
  InvalidName: 400,
  InvalidYaml: 400,
  UnknownField: 400,
  ConfirmationRequired: 400,
  InvalidEncoding: 400,
  InvalidCharacter: 400,
  BodyTooComplex: 400,
  RequestTimeout: 408,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RequestHeaderFieldsTooLarge: 431,
  // 401 / 403: who is asking.
  Unauthorized: 401,
  Forbidden: 403,
  // 404
  NotFound: 404,
  ChartNotFound: 404,
  // 409: the world changed or already holds it.
  Conflict: 409,
  AlreadyExists: 409,
  LockHeld: 409,
  // 422: well-formed, but the rules forbid it.
  PackInvalid: 422,
  TemplateRenderFailed: 422,
  PresetUnknown: 422,
  PresetGroupConflict: 422,
  ProfileInvalid: 422,
  PackNotFound: 422,
  ClusterNotUpdatable: 422,
  K8sDowngradeNotSupported: 422,
  K8sMultiMinorUpgrade: 422,
  EdgeCniChangeNotSupported: 422,
  K8sDistributionChange: 422,
  ExistingClusterInfraLayer: 422,
  MergeConflict: 422,
  RepaveNotPending: 422,
  PruneCapExceeded: 422,
  PlanHasErrors: 422,
  RolloutNotActive: 422,
  ValuesSchemaViolation: 422,
  // 422: a chart registry refused or failed (the upstream text is in the message).
  RegistryUnreachable: 422,
  RegistryTlsFailed: 422,
  RegistryAuthFailed: 422,
  DigestMismatch: 422,
  // 429: the server is at capacity for this kind of request; retry after `Retry-After` seconds.
  TooManyRequests: 429,
  // 500: a bug or a broken dependency — never for bad input.
  Internal: 500,
  Unavailable: 503,
};

/** Returns the HTTP status for an error code (500 for anything unknown). */
export function httpStatusFor(code: string): number {
  return (ERROR_STATUS as Readonly<Record<string, number>>)[code] ?? 500;
}
