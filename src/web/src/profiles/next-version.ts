/** Suggests the next version of a profile: the next minor after the highest existing one (1.0.0 → 1.1.0). */

/** Returns the suggested new semver given the versions that exist. */
export function suggestNextVersion(existing: readonly string[]): string {
  let best: [number, number, number] = [0, 0, 0];
  for (const v of existing) {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
    if (!m) continue;
    const parts: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (
      parts[0] > best[0] ||
      (parts[0] === best[0] && (parts[1] > best[1] || (parts[1] === best[1] && parts[2] > best[2])))
    )
      best = parts;
  }
  return `${best[0]}.${best[1] + 1}.0`;
}

/** True for a strict semantic version (`1.2.3`, optional pre-release/build), as the server requires. */
export function isStrictSemver(text: string): boolean {
  return /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(text);
}
