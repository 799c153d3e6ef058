/**
 * `EngineCommands`: what the REST API, the CLI's `strata up` and tests call, composed of one module per noun in
 * commands/ (clusters, changes, repave, prune, profiles; rollouts, which `startEngine` adds with its live feed). Each command
 * validates, then changes desired state (spec, or a status field the user owns such as a repave approval) in one
 * transaction with its audit row and event and queues the reconcile that carries it out (commands/intent.ts).
 */
import { changeCommands } from './commands/changes.ts';
import { clusterCommands } from './commands/clusters.ts';
import { type CommandHooks, commandDeps } from './commands/intent.ts';
import { profileCommands } from './commands/profiles.ts';
import { pruneCommands } from './commands/prune.ts';
import { repaveCommands } from './commands/repave.ts';
import { rolloutCommands } from './commands/rollouts.ts';
import type { EngineContext } from './context.ts';
import type { EngineCommands, FleetCommands, RolloutCommands } from './contract.ts';
import type { RolloutPublish } from './rollout.ts';

export type { CommandHooks } from './commands/intent.ts';
export { pruneCap } from './commands/prune.ts';

/** Builds the engine's commands over a context. */
export function createEngineCommands(
  ctx: EngineContext,
  hooks: CommandHooks = { wake: () => {} },
): EngineCommands & FleetCommands {
  const deps = commandDeps(ctx, hooks);
  return {
    ...clusterCommands(deps),
    ...changeCommands(deps),
    ...repaveCommands(deps),
    ...pruneCommands(deps),
    ...profileCommands(deps),
  };
}

/** Builds the fleet rollout commands over a context; `publish` tells live listeners of each change. */
export function createRolloutCommands(
  ctx: EngineContext,
  hooks: CommandHooks & { publish?: RolloutPublish },
): RolloutCommands {
  return rolloutCommands(commandDeps(ctx, hooks), hooks.publish);
}
