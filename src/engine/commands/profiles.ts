/** The commands about profiles a cluster runs: which versions are attached, and telling the fleet of a new revision. */
import type { EngineCommands } from '../contract.ts';
import { queueUpdateAvailable } from '../work.ts';
import { type CommandDeps, requireCluster } from './intent.ts';

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
