// Types of build-stamp.mjs (plain JavaScript, because bin/strata.js imports it before anything is compiled).

/** The number of inputs, their total size, the newest modification time (ms) and the input that has it. */
export interface InputFingerprint {
  entries: number;
  bytes: number;
  newest: number;
  newestPath: string;
}

/** The package root (the folder of package.json). */
export const ROOT: string;
/** Where the compiled JavaScript goes, relative to the root. */
export const BUILD_DIR: string;
/** The build's record of its inputs, inside BUILD_DIR. */
export const STAMP: string;
/** The folder of the sources. */
export const SOURCE_DIR: string;
/** Source folders that are not compiled (relative to the root). */
export const SKIPPED_DIRS: ReadonlySet<string>;
/** Returns the fingerprint of the build's inputs under `root` (default: this clone). */
export function inputFingerprint(root?: string): InputFingerprint;
/** Returns why the build under `root` must not run as it is, or null when it is current. */
export function staleReason(root?: string): string | null;
