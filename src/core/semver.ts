/**
 * Strict semantic versions for packs and profiles: `1.2.3` (with optional pre-release/build), never `v1.2`,
 * `1.2` or `2.2.2.develop`.
 */
import semver from 'semver';
import { StrataError } from './errors.ts';

/** True when `value` is a strict semver string exactly as written (no `v` prefix, no coercion). */
export function isStrictSemver(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parsed = semver.parse(value, { loose: false });
  if (!parsed) return false;
  // `parse` accepts a leading 'v' and drops build metadata from `version`; compare against the text as written.
  const canonical = parsed.build.length > 0 ? `${parsed.version}+${parsed.build.join('.')}` : parsed.version;
  return canonical === value;
}

/** Returns `value` when it is strict semver; otherwise throws `InvalidSemver` naming the field. */
export function requireStrictSemver(value: unknown, field: string): string {
  if (isStrictSemver(value)) return value;
  throw new StrataError(
    'InvalidSemver',
    `${field} must be a strict semantic version like 1.2.3; got ${JSON.stringify(value)}.`,
    { field, value },
  );
}

/** Compares two strict semver strings: negative, zero or positive. */
export function compareSemver(a: string, b: string): number {
  return semver.compare(a, b);
}

/** Returns `major.minor` of a strict semver string, e.g. `1.30` for `1.30.4`. */
export function minorOf(version: string): string {
  const v = semver.parse(version);
  if (!v)
    throw new StrataError('InvalidSemver', `Not a semantic version: ${JSON.stringify(version)}.`, {
      version,
    });
  return `${v.major}.${v.minor}`;
}
