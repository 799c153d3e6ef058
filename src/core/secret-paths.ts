/**
 * Value paths a pack declares secret, beyond the credential key names every pack gets (`isCredentialPath`):
 *  - a Strata-format pack lists them in `pack.yaml` as `secretPaths` (`auth.adminPass`, `users.*.key`);
 *  - a Helm chart marks them in its `values.schema.json` with `"format": "password"` or `"writeOnly": true`;
 *  - a kustomize or manifest layer's `secretGenerator` literals are secret by their nature.
 * A path is written as `formatPath` writes one; a `*` segment stands for any one key or list index. A declared
 * path covers everything below it (a map under a secret path is secret as a whole).
 */
import type { Pack, ValuePath } from './model.ts';
import { parsePath } from './values.ts';

/** Paths of an overlay layer's values that are always secret. */
const OVERLAY_SECRET_PATHS = ['secretGenerator.*.literals'];

/** Deepest schema nesting walked when looking for secret properties. */
const MAX_SCHEMA_DEPTH = 32;

const declaredByPack = new WeakMap<Pack, readonly string[]>();

/** Returns the value paths `pack` declares secret (see the file comment), computed once per pack object. */
export function declaredSecretPaths(pack: Pack): readonly string[] {
  const known = declaredByPack.get(pack);
  if (known !== undefined) return known;
  const paths = new Set(pack.secretPaths ?? []);
  if (pack.kind === 'helm' && pack.valuesSchema !== undefined) {
    for (const path of schemaSecretPaths(pack.valuesSchema)) paths.add(path);
  }
  if (pack.kind === 'kustomize' || pack.kind === 'manifest') {
    for (const path of OVERLAY_SECRET_PATHS) paths.add(path);
  }
  const list = [...paths];
  declaredByPack.set(pack, list);
  return list;
}

/**
 * Returns the value paths a JSON schema marks secret: properties (also under `items`, `additionalProperties`,
 * `patternProperties` and the `allOf`/`anyOf`/`oneOf` branches) with `format: password` or `writeOnly: true`.
 * A schema that does not parse marks nothing (the schema check reports it where values are saved).
 */
export function schemaSecretPaths(schemaText: string): string[] {
  let schema: unknown;
  try {
    schema = JSON.parse(schemaText);
  } catch {
    return [];
  }
  const found = new Set<string>();
  const walk = (node: unknown, path: string[], depth: number): void => {
    if (depth > MAX_SCHEMA_DEPTH || node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as Record<string, unknown>;
    if (path.length > 0 && (s.format === 'password' || s.writeOnly === true)) {
      found.add(path.join('.'));
      return;
    }
    if (s.properties !== null && typeof s.properties === 'object') {
      for (const [key, child] of Object.entries(s.properties as Record<string, unknown>)) {
        walk(
          child,
          [...path, /^[^.[\]"'\s*]+$/.test(key) ? key : `["${key.replace(/["\\]/g, '\\$&')}"]`],
          depth + 1,
        );
      }
    }
    if (s.patternProperties !== null && typeof s.patternProperties === 'object') {
      for (const child of Object.values(s.patternProperties as Record<string, unknown>))
        walk(child, [...path, '*'], depth + 1);
    }
    for (const key of ['items', 'additionalProperties'] as const) walk(s[key], [...path, '*'], depth + 1);
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      if (Array.isArray(s[key])) for (const branch of s[key] as unknown[]) walk(branch, path, depth + 1);
    }
  };
  walk(schema, [], 0);
  return [...found].map((p) => p.replace(/\.\[/g, '['));
}

/** A set of declared secret paths, matched against value paths. */
export class SecretPaths {
  readonly #patterns: ValuePath[] = [];
  readonly #words = new Set<string>();
  readonly #seen = new Set<string>();

  constructor(paths: Iterable<string> = []) {
    this.add(paths);
  }

  /** Adds paths (a path that does not parse is ignored: packs are checked when they are added). */
  add(paths: Iterable<string>): void {
    for (const path of paths) {
      if (this.#seen.has(path)) continue;
      this.#seen.add(path);
      let pattern: ValuePath;
      try {
        pattern = parsePath(path);
      } catch {
        continue;
      }
      if (pattern.length === 0) continue;
      this.#patterns.push(pattern);
      for (const segment of pattern)
        if (segment !== '*' && typeof segment === 'string') this.#words.add(segment);
    }
  }

  /** True when no path is declared. */
  get empty(): boolean {
    return this.#patterns.length === 0;
  }

  /** True when `text` may hold a declared path (it names a key of one): a cheap test before any parse. */
  mayMatch(text: string): boolean {
    if (this.#patterns.length === 0) return false;
    for (const word of this.#words) if (text.includes(word)) return true;
    return this.#patterns.some((p) => p.every((s) => s === '*'));
  }

  /** True when `path` (segments, or text as `formatPath` writes it) is at or below a declared secret path. */
  covers(path: ValuePath | string): boolean {
    if (this.#patterns.length === 0) return false;
    let segments: ValuePath;
    if (typeof path === 'string') {
      try {
        segments = parsePath(path);
      } catch {
        return false;
      }
    } else segments = path;
    return this.#patterns.some(
      (pattern) =>
        pattern.length <= segments.length &&
        pattern.every((s, i) => s === '*' || s === segments[i] || String(s) === String(segments[i])),
    );
  }
}

/** Checks a pack's declared paths: each one parses as a value path. Returns the first bad one with its reason. */
export function badSecretPath(
  paths: readonly string[],
): { index: number; path: string; reason: string } | null {
  for (const [index, path] of paths.entries()) {
    if (path === '') return { index, path, reason: 'a secret path cannot be empty' };
    try {
      parsePath(path);
    } catch (error) {
      return { index, path, reason: (error as Error).message };
    }
  }
  return null;
}
