/**
 * A stand-in for the engine, which does not exist yet: it records the commands the API passes on and answers
 * with store-backed clusters and fixed plans, so the routes' wiring (roles, bodies, audit contexts, status
 * codes) is tested against the `EngineCommands` contract. Replace with the real engine once it runs.
 */
import { StrataError } from '../../src/core/errors.ts';
import type { ClusterSpec, ObjectRef } from '../../src/core/model.ts';
import type { Plan } from '../../src/core/plan-types.ts';
import { parseProfileRef } from '../../src/core/profile.ts';
import type {
  ClusterChangeInput,
  ClusterPlanView,
  CreateClusterInput,
  EngineCommands,
  PruneResult,
  WorkloadsView,
} from '../../src/engine/contract.ts';
import type { AuditContext } from '../../src/store/audit.ts';
import {
  createCluster,
  getCluster,
  type StoredCluster,
  updateClusterStatus,
} from '../../src/store/clusters.ts';
import type { Store } from '../../src/store/open.ts';

/** One recorded command. */
export interface RecordedCall {
  command: keyof EngineCommands;
  actor?: string;
  args: unknown[];
}

/** An empty, applicable plan. */
export function emptyPlan(overrides: Partial<Plan> = {}): Plan {
  return {
    from: [],
    to: [],
    layers: [],
    repave: { required: false, reasons: [], pools: [] },
    kubernetes: null,
    objects: { create: [], change: [], unchanged: 0, unused: [], delete: [] },
    errors: [],
    warnings: [],
    changed: true,
    applicable: true,
    ...overrides,
  };
}

/** Records calls; `fail` makes the next command throw the given error. */
export class RecordingEngine implements EngineCommands {
  readonly calls: RecordedCall[] = [];
  fail: Error | null = null;
  /** The plan `planChange` answers with (an empty, applicable plan when null). */
  nextPlan: Plan | null = null;
  readonly unused: ObjectRef[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'hello-universe',
      name: 'hello-universe-deployment',
    },
  ];

  constructor(private readonly store: Store) {}

  private record(command: keyof EngineCommands, audit: AuditContext | null, ...args: unknown[]): void {
    this.calls.push({ command, actor: audit?.actor, args });
    if (this.fail) {
      const error = this.fail;
      this.fail = null;
      throw error;
    }
  }

  private async cluster(name: string): Promise<StoredCluster> {
    const c = await getCluster(this.store.db, name);
    if (!c) throw new StrataError('NotFound', `Cluster ${name} not found.`, { name });
    return c;
  }

  async createCluster(audit: AuditContext, input: CreateClusterInput): Promise<StoredCluster> {
    this.record('createCluster', audit, input);
    const spec: ClusterSpec = {
      name: input.name,
      cloudType: input.cloudType ?? 'sim',
      profiles: input.profiles.map((r) => ({ ...parseProfileRef(r), revision: 1 })),
      overrides: {},
      pools: [],
      settings: { repave: 'manual', prune: false, selfHeal: true },
      labels: input.labels ?? {},
    };
    return createCluster(this.store.db, audit, spec);
  }

  async deleteCluster(audit: AuditContext, name: string): Promise<StoredCluster> {
    this.record('deleteCluster', audit, name);
    await this.cluster(name);
    return updateClusterStatus(this.store.db, name, { phase: 'Deleting' });
  }

  async planChange(name: string, change: ClusterChangeInput): Promise<ClusterPlanView> {
    this.record('planChange', null, name, change);
    const c = await this.cluster(name);
    return {
      cluster: name,
      plan: this.nextPlan ?? emptyPlan(),
      layers: [],
      pending: { stack: [], overrides: {}, conflicts: {} },
      resourceVersion: c.resourceVersion,
    };
  }

  async applyChange(
    audit: AuditContext,
    name: string,
    change: ClusterChangeInput,
    options?: { expectedResourceVersion?: number },
  ): Promise<ClusterPlanView> {
    this.record('applyChange', audit, name, change, options);
    const c = await this.cluster(name);
    if (
      options?.expectedResourceVersion !== undefined &&
      options.expectedResourceVersion !== c.resourceVersion
    ) {
      throw new StrataError('Conflict', `Cluster ${name} changed since the plan.`, {
        expected: options.expectedResourceVersion,
        actual: c.resourceVersion,
      });
    }
    return this.planChange(name, change);
  }

  async approveRepave(audit: AuditContext, name: string): Promise<StoredCluster> {
    this.record('approveRepave', audit, name);
    const c = await this.cluster(name);
    if (c.status.repave.state !== 'Pending') {
      throw new StrataError('RepaveNotPending', `Cluster ${name} has no repave waiting for approval.`, {
        name,
      });
    }
    return updateClusterStatus(this.store.db, name, {
      repave: {
        state: 'Approved',
        reasons: c.status.repave.reasons,
        approvedAt: new Date(0).toISOString(),
        approvedBy: audit.actor,
      },
    });
  }

  async prune(
    audit: AuditContext,
    name: string,
    options: { dryRun: boolean; force: boolean; objects?: ObjectRef[] },
  ): Promise<PruneResult> {
    this.record('prune', audit, name, options);
    await this.cluster(name);
    return { dryRun: options.dryRun, objects: options.objects ?? this.unused, refused: false };
  }

  async workloads(name: string): Promise<WorkloadsView> {
    this.record('workloads', null, name);
    await this.cluster(name);
    return { namespaces: [] };
  }

  async kubeconfig(name: string, role: 'admin' | 'read-only'): Promise<string> {
    this.record('kubeconfig', null, name, role);
    return `apiVersion: v1\nkind: Config\n# ${role} kubeconfig of ${name}\n`;
  }

  async attachedProfiles(name: string) {
    this.record('attachedProfiles', null, name);
    return [];
  }
}
