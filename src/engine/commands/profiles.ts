/** The commands about profiles a cluster runs: which versions are attached, and telling the fleet of a new revision. */
import { StrataError } from '../../core/errors.ts';
import type { ProfileVersion } from '../../core/model.ts';
import { parseProfileRef } from '../../core/profile.ts';
import type { EngineContext } from '../context.ts';
import type { EngineCommands } from '../contract.ts';
import { queueUpdateAvailable } from '../work.ts';
import { type CommandDeps, requireCluster } from './intent.ts';

/** Returns the profile versions (current revisions) a list of `NAME@VERSION` references names. */
export async function resolveRefs(ctx: EngineContext, refs: readonly string[]): Promise<ProfileVersion[]> {
  if (!Array.isArray(refs) || refs.length === 0) {
    throw new StrataError(
      'ValidationFailed',
      'profiles must name at least one profile version (NAME@VERSION).',
      { field: 'profiles' },
    );
  }
  return Promise.all(
    refs.map((ref, i) => {
      const { name, version } = parseProfileRef(ref, `profiles[${i}]`);
      return ctx.profiles.latest(name, version, `profiles[${i}]`);
    }),
  );
}

/** Returns `attachedProfiles` and `markUpdateAvailable`. */
export function profileCommands({
  ctx,
  hooks,
}: CommandDeps): Pick<EngineCommands, 'attachedProfiles' | 'markUpdateAvailable'> {
  return {
    async attachedProfiles(name) {
      const cluster = await requireCluster(ctx, name);
      const refs =
        cluster.status.appliedProfiles.length > 0 ? cluster.status.appliedProfiles : cluster.spec.profiles;
      return ctx.profiles.all(refs);
    },

    async markUpdateAvailable(profile, version, revision) {
      ctx.profiles.invalidate(profile, version);
      // One work item pages through the fleet; it is queued outside a transaction, as nothing else is written.
      await queueUpdateAvailable(ctx.store.db, { profile, version, revision }, 'profile-edit');
      hooks.wake();
    },
  };
}
