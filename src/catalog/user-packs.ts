/**
 * User packs (registered, pulled, imported) come from the store: loaded into a process's catalog at start, and
 * again when a process meets a pack it does not know yet — another process added it since.
 */
import type { Catalog } from '../core/catalog.ts';
import { isStrataError } from '../core/errors.ts';
import { listPacks } from '../store/packs.ts';
import type { Executor } from '../store/schema.ts';

/** Adds the store's user packs the catalog lacks; returns how many it added. */
export async function loadUserPacks(executor: Executor, catalog: Catalog): Promise<number> {
  let added = 0;
  for (const pack of await listPacks(executor)) {
    if (pack.source !== 'user' || catalog.get(pack.name, pack.version)) continue;
    const { resourceVersion: _rv, ...plain } = pack;
    try {
      catalog.add(plain);
      added += 1;
    } catch (error) {
      if (!isStrataError(error)) throw error;
      process.emitWarning(`user pack ${pack.name}@${pack.version} skipped: ${error.message}`);
    }
  }
  return added;
}

/**
 * Runs `fn`; when it fails with `PackNotFound` and the store holds packs the catalog lacked, runs it once more.
 * Returns what `fn` returns.
 */
export async function withCatalogRefresh<T>(
  executor: Executor,
  catalog: Catalog,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isStrataError(error) || error.code !== 'PackNotFound') throw error;
    if ((await loadUserPacks(executor, catalog)) === 0) throw error;
    return fn();
  }
}
