/**
 * The admin token of an installation: made on first start, written to `$STRATA_HOME/admin.token` (mode 0600)
 * and stored as a hash, so the CLI on the same machine works with no setup.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomIds } from '../core/clock.ts';
import { isStrataError } from '../core/errors.ts';
import type { Store } from '../store/open.ts';
import { type CreatedToken, createToken, verifyToken } from '../store/tokens.ts';

/** The admin token and where it lives. */
export interface AdminToken {
  token: string;
  path: string;
  /** True when this call made a new token. */
  created: boolean;
}

const SYSTEM = { actor: 'system' };

/** Returns the path of the admin token file under a Strata home. */
export function adminTokenPath(home: string): string {
  return join(home, 'admin.token');
}

/**
 * Makes an admin token named `admin`, or — when another home sharing the database holds that name —
 * `admin-<random>`, since active token names are unique.
 */
async function createAdminToken(store: Store, token?: string): Promise<CreatedToken> {
  try {
    return await createToken(store.db, SYSTEM, { name: 'admin', role: 'admin', token });
  } catch (error) {
    if (!isStrataError(error) || error.code !== 'AlreadyExists') throw error;
    return createToken(store.db, SYSTEM, { name: randomIds.next('admin-'), role: 'admin', token });
  }
}

/**
 * Returns the installation's admin token, making it when missing. A token file whose token the store does not
 * know (a fresh database) is registered as is; one whose token was revoked is replaced by a new token.
 */
export async function ensureAdminToken(store: Store, home: string): Promise<AdminToken> {
  const path = adminTokenPath(home);
  if (existsSync(path)) {
    const token = (await readFile(path, 'utf8')).trim();
    if (token !== '') {
      if (await verifyToken(store.db, token)) return { token, path, created: false };
      try {
        await createAdminToken(store, token);
        return { token, path, created: true };
      } catch (error) {
        // A unique violation on the hash: the token is known but revoked, so a new one replaces it below.
        if ((error as { code?: string }).code !== '23505') throw error;
      }
    }
  }
  const made = await createAdminToken(store);
  await mkdir(home, { recursive: true });
  await writeFile(path, `${made.token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { token: made.token, path, created: true };
}
