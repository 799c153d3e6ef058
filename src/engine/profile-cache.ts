/**
 * Profile versions as the engine reads them: a revision never changes once saved, so revisions are cached
 * for good; the *current* revision of a version is cached briefly (and dropped when the engine hears of an
 * edit), so a fleet of clusters on one version costs one query per interval, not one per cluster.
 */
import { StrataError } from '../core/errors.ts';
import type { AttachedProfile, ProfileVersion } from '../core/model.ts';
import { getProfileAtRevision, getProfileVersion } from '../store/profiles.ts';
import type { Executor } from '../store/schema.ts';

const CURRENT_TTL_MS = 1000;
const LIMIT = 10_000;

/** A cache of profile revisions (forever) and current revisions (briefly). */
export class ProfileCache {
  private readonly revisions = new Map<string, Promise<ProfileVersion>>();
  private readonly current = new Map<string, { at: number; value: Promise<ProfileVersion> }>();

  constructor(private readonly db: Executor) {}

  /** Returns a profile version at a revision; `NotFound` naming it when the store has no such revision. */
  at(ref: AttachedProfile): Promise<ProfileVersion> {
    const key = `${ref.name}@${ref.version}#${ref.revision}`;
    let hit = this.revisions.get(key);
    if (!hit) {
      hit = getProfileAtRevision(this.db, ref.name, ref.version, ref.revision).then((pv) => {
        if (!pv) {
          this.revisions.delete(key);
          throw new StrataError(
            'NotFound',
            `Profile ${ref.name}@${ref.version} has no revision ${ref.revision}.`,
            {
              profile: `${ref.name}@${ref.version}`,
              revision: ref.revision,
            },
          );
        }
        return pv;
      });
      hit.catch(() => this.revisions.delete(key));
      this.revisions.set(key, hit);
      if (this.revisions.size > LIMIT) this.revisions.delete(this.revisions.keys().next().value as string);
    }
    return hit;
  }

  /** Returns the profile versions of a cluster's attachments, in order. */
  all(refs: readonly AttachedProfile[]): Promise<ProfileVersion[]> {
    return Promise.all(refs.map((r) => this.at(r)));
  }

  /** Returns a profile version at its current revision; `NotFound` naming `field` when it does not exist. */
  latest(name: string, version: string, field = 'profiles'): Promise<ProfileVersion> {
    const key = `${name}@${version}`;
    const now = Date.now();
    const hit = this.current.get(key);
    if (hit && now - hit.at < CURRENT_TTL_MS) return hit.value;
    const value = getProfileVersion(this.db, name, version).then((pv) => {
      if (!pv) {
        this.current.delete(key);
        throw new StrataError('NotFound', `Profile ${name}@${version} does not exist.`, {
          field,
          profile: key,
        });
      }
      const { resourceVersion: _rv, createdAt: _c, createdBy: _b, updatedAt: _u, ...plain } = pv;
      return plain;
    });
    value.catch(() => this.current.delete(key));
    this.current.set(key, { at: now, value });
    return value;
  }

  /** Forgets the current revision of a version (after an edit), so the next read sees the new one. */
  invalidate(name: string, version: string): void {
    this.current.delete(`${name}@${version}`);
  }
}
