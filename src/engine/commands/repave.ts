/** The repave command: a user approves the node replacement a change needs (status `repave`, which the user owns). */
import { StrataError } from '../../core/errors.ts';
import type { EngineCommands } from '../contract.ts';
import { type CommandDeps, commitStatusIntent, requireCluster } from './intent.ts';

/** Returns `approveRepave`. */
export function repaveCommands(deps: CommandDeps): Pick<EngineCommands, 'approveRepave'> {
  return {
    async approveRepave(audit, name) {
      const cluster = await requireCluster(deps.ctx, name);
      const refuse = (state: string) =>
        new StrataError(
          'RepaveNotPending',
          `Cluster ${name} has no repave waiting for approval (repave state: ${state}).`,
          { cluster: name, state },
        );
      if (cluster.status.repave.state !== 'Pending') throw refuse(cluster.status.repave.state);
      return commitStatusIntent(
        deps,
        audit,
        name,
        (c) => {
          if (c.status.repave.state !== 'Pending') throw refuse(c.status.repave.state);
          return {
            repave: {
              state: 'Approved',
              reasons: c.status.repave.reasons,
              approvedAt: deps.now(),
              approvedBy: audit.actor,
            },
          };
        },
        () => ({
          audit: [
            {
              action: 'cluster.repave.approve',
              targetKind: 'cluster',
              target: name,
              before: { repave: 'Pending' },
              after: { repave: 'Approved' },
            },
          ],
          events: [
            {
              cluster: name,
              type: 'Normal',
              reason: 'RepaveApproved',
              message: `Repave approved by ${audit.actor}; nodes are replaced control plane first.`,
            },
          ],
          reconcile: [name],
        }),
      );
    },
  };
}
