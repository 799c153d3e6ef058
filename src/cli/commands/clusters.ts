/** `strata cluster …`: create, list, get, delete, workloads, kubeconfig, plan, update, override, repave, prune. */
import type { Command } from 'commander';
import { StrataError } from '../../core/errors.ts';
import type { ObjectRef } from '../../core/model.ts';
import type { ClusterChangeInput, ClusterPlanView, PruneResult, WorkloadsView } from '../../wire/types.ts';
import { confirm } from '../confirm.ts';
import { type CliContext, readInputFile, seg } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { age, printResult, renderTable } from '../output.ts';
import { type ClusterJson, type ClusterSummaryJson, DEFAULT_WAIT_TIMEOUT, waitForCluster } from '../wait.ts';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function clusterRows(items: readonly ClusterSummaryJson[]): string {
  return renderTable(
    ['name', 'phase', 'health', 'profiles', 'kubernetes', 'age'],
    items.map((c) => [
      c.name,
      c.status.phase,
      c.status.health,
      c.spec.profiles.map((p) => `${p.name}@${p.version}#${p.revision}`).join(','),
      c.status.kubernetesVersion ?? '-',
      age(c.createdAt),
    ]),
  );
}

function clusterDetails(c: ClusterJson): string {
  const applied =
    c.status.appliedProfiles.map((p) => `${p.name}@${p.version}#${p.revision}`).join(', ') || '(none yet)';
  const lines = [
    `Name:        ${c.name}`,
    `Cloud:       ${c.spec.cloudType}`,
    `Phase:       ${c.status.phase}`,
    `Health:      ${c.status.health}`,
    `Generation:  ${c.generation} (observed ${c.status.observedGeneration})`,
    `Profiles:    ${c.spec.profiles.map((p) => `${p.name}@${p.version}#${p.revision}`).join(', ')}`,
    `Applied:     ${applied}`,
    `Kubernetes:  ${c.status.kubernetesVersion ?? '-'}`,
    `Repave:      ${c.status.repave.state}${c.status.repave.state === 'Pending' ? ` — ${c.status.repave.reasons.map((r) => r.message).join('; ')}` : ''}`,
    `Overrides:   ${Object.keys(c.spec.overrides).join(', ') || '(none)'}`,
    `Settings:    repave=${c.spec.settings.repave} prune=${c.spec.settings.prune} selfHeal=${c.spec.settings.selfHeal}`,
    '',
    renderTable(
      ['pool', 'role', 'count', 'machine', 'strategy'],
      c.spec.pools.map((p) => [
        p.name,
        p.role,
        String(p.count),
        `${p.machine.instanceType}/${p.machine.diskGiB}GiB`,
        p.strategy.type,
      ]),
    ),
  ];
  if (c.status.conditions.length > 0) {
    lines.push(
      '',
      renderTable(
        ['condition', 'status', 'reason', 'message'],
        c.status.conditions.map((x) => [x.type, x.status, x.reason, x.message]),
      ),
    );
  }
  return lines.join('\n');
}

function workloadRows(view: WorkloadsView): string {
  const rows: string[][] = [];
  for (const ns of view.namespaces) {
    for (const pod of ns.pods) {
      rows.push([
        ns.namespace,
        pod.name,
        pod.phase,
        pod.ready ? 'true' : 'false',
        pod.node ?? '-',
        pod.containers.map((c) => c.containerID ?? '-').join(','),
      ]);
    }
  }
  return renderTable(['namespace', 'pod', 'phase', 'ready', 'node', 'container ids'], rows);
}

function objectName(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** Shows a plan, refuses one with errors, asks unless `--yes`; returns true to go on. */
async function reviewPlan(ctx: CliContext, view: ClusterPlanView, yes: boolean): Promise<boolean> {
  const { formatPlanView } = await import('../format-plan.ts');
  printResult(ctx.printer, ctx.format(), view, () => formatPlanView(view));
  const first = view.plan.errors[0];
  if (first) throw new StrataError(first.code as StrataError['code'], first.message, first.details);
  if (!view.plan.applicable) {
    throw new StrataError(
      'MergeConflict',
      'The plan has unresolved merge conflicts; resolve them in the console editor first.',
      {},
    );
  }
  if (!view.plan.changed) {
    ctx.printer.err('Nothing to apply.');
    return false;
  }
  if (yes) return true;
  const ok = await confirm('Apply this plan?');
  if (!ok) ctx.printer.err('Not applied.');
  return ok;
}

async function waitIfAsked(
  ctx: CliContext,
  name: string,
  opts: { wait?: boolean; timeout: string },
  until: 'ready' | 'deleted',
): Promise<void> {
  if (!opts.wait) return;
  await waitForCluster(
    ctx.client(),
    name,
    { until, timeoutMs: parseDuration(opts.timeout, '--timeout') },
    ctx.format() === 'table' ? ctx.printer : { out: (t) => ctx.printer.err(t), err: ctx.printer.err },
  );
}

/** Options of `strata cluster list`: each filter is the list endpoint's, checked by the server. */
interface ClusterListOptions {
  phase?: string;
  profile?: string;
  health?: string;
  kubernetesVersion?: string;
  selector?: string;
  prefix?: string;
  search?: string;
  notice?: string;
  desc?: boolean;
  limit: string;
  cursor?: string;
}

/** Registers the `cluster` commands. */
export function registerClusterCommands(program: Command, ctx: CliContext): void {
  const cluster = program.command('cluster').description('Create, inspect, update and delete clusters');
  const base = (name: string) => `/v1/clusters/${seg(name)}`;

  cluster
    .command('create')
    .description('Create a cluster from profile versions')
    .argument('<name>', 'cluster name')
    .requiredOption('--profile <ref>', 'NAME@VERSION; repeat for add-on profiles', collect)
    .option('--cloud <type>', 'sim | edge | existing', 'sim')
    .option('--control-plane <n>', 'control-plane nodes: 1, 3 or 5', '1')
    .option('--workers <n>', 'worker nodes', '2')
    .option('--wait', 'follow progress until Running')
    .option('--timeout <duration>', 'how long --wait waits', DEFAULT_WAIT_TIMEOUT)
    .action(
      async (
        name: string,
        opts: {
          profile: string[];
          cloud: string;
          controlPlane: string;
          workers: string;
          wait?: boolean;
          timeout: string;
        },
      ) => {
        const data = await ctx.client().request<ClusterJson>({
          method: 'POST',
          path: '/v1/clusters',
          body: {
            name,
            profiles: opts.profile,
            cloudType: opts.cloud,
            controlPlane: Number(opts.controlPlane),
            workers: Number(opts.workers),
          },
        });
        printResult(
          ctx.printer,
          ctx.format(),
          data,
          () => `cluster ${data.name} created (phase ${data.status.phase})`,
        );
        await waitIfAsked(ctx, name, opts, 'ready');
      },
    );

  cluster
    .command('list')
    .description('List clusters: a table of summaries; -o json|yaml prints whole clusters')
    .option('--phase <phase>', 'only clusters in this phase')
    .option('--profile <ref>', 'only clusters attached to NAME@VERSION')
    .option('--health <health>', 'only clusters of this health (Healthy, Degraded, Unhealthy, Unknown)')
    .option('--kubernetes-version <version>', 'only clusters whose control plane runs this version')
    .option('-l, --selector <k=v,...>', 'only clusters carrying these labels')
    .option('--prefix <text>', 'only clusters whose name starts with this')
    .option('--search <text>', 'only clusters whose name or a label contains this')
    .option('--notice <notice>', 'only clusters with update-available, repave-pending, drift or unused')
    .option('--desc', 'in descending name order')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'the next-page cursor a previous list printed')
    .action(async (opts: ClusterListOptions) => {
      // The table needs the list's summaries; -o json|yaml prints whole clusters, as kubectl's -o does.
      const view = ctx.format() === 'table' ? 'summary' : 'full';
      const data = await ctx.client().request<{ items: ClusterSummaryJson[]; nextCursor: string | null }>({
        method: 'GET',
        path: '/v1/clusters',
        query: {
          phase: opts.phase,
          profile: opts.profile,
          health: opts.health,
          kubernetesVersion: opts.kubernetesVersion,
          label: opts.selector,
          namePrefix: opts.prefix,
          search: opts.search,
          notice: opts.notice,
          sort: opts.desc ? '-name' : undefined,
          limit: opts.limit,
          cursor: opts.cursor,
          view,
        },
      });
      printResult(
        ctx.printer,
        ctx.format(),
        data,
        () => `${clusterRows(data.items)}${data.nextCursor ? `\n(more: --cursor ${data.nextCursor})` : ''}`,
      );
    });

  cluster
    .command('get')
    .description('Show a cluster: spec, status, pools and conditions')
    .argument('<name>', 'cluster name')
    .action(async (name: string) => {
      const data = await ctx.client().request<ClusterJson>({ method: 'GET', path: base(name) });
      printResult(ctx.printer, ctx.format(), data, () => clusterDetails(data));
    });

  cluster
    .command('delete')
    .description('Delete a cluster and release its infrastructure (asks first)')
    .argument('<name>', 'cluster name')
    .option('-y, --yes', 'delete without asking')
    .option('--wait', 'follow progress until deleted')
    .option('--timeout <duration>', 'how long --wait waits', DEFAULT_WAIT_TIMEOUT)
    .action(async (name: string, opts: { yes?: boolean; wait?: boolean; timeout: string }) => {
      if (!opts.yes && !(await confirm(`Delete cluster ${name} and all its nodes? This cannot be undone.`))) {
        ctx.printer.err('Not deleted.');
        return;
      }
      const data = await ctx
        .client()
        .request<ClusterJson>({ method: 'DELETE', path: base(name), query: { confirm: name } });
      printResult(
        ctx.printer,
        ctx.format(),
        data,
        () => `cluster ${name} is being deleted (phase ${data.status.phase})`,
      );
      await waitIfAsked(ctx, name, opts, 'deleted');
    });

  cluster
    .command('workloads')
    .description('Pods by namespace, with their container IDs')
    .argument('<name>', 'cluster name')
    .action(async (name: string) => {
      const data = await ctx
        .client()
        .request<WorkloadsView>({ method: 'GET', path: `${base(name)}/workloads` });
      printResult(ctx.printer, ctx.format(), data, () => workloadRows(data));
    });

  cluster
    .command('kubeconfig')
    .description('Print the cluster’s kubeconfig (admin, or --read-only)')
    .argument('<name>', 'cluster name')
    .option('--read-only', 'a read-only kubeconfig (all a viewer may get)')
    .action(async (name: string, opts: { readOnly?: boolean }) => {
      const text = await ctx.client().request<string>({
        method: 'GET',
        path: `${base(name)}/kubeconfig`,
        query: { role: opts.readOnly ? 'read-only' : 'admin' },
      });
      ctx.printer.out(text);
    });

  cluster
    .command('plan')
    .description('Show what switching profile versions would change, without changing anything')
    .argument('<name>', 'cluster name')
    .requiredOption('--profile <ref>', 'NAME@VERSION; repeat for add-on profiles', collect)
    .option('--chain', 'plan a chained Kubernetes upgrade across minors')
    .action(async (name: string, opts: { profile: string[]; chain?: boolean }) => {
      const change: ClusterChangeInput = {
        kind: 'profiles',
        profiles: opts.profile,
        chain: opts.chain ?? false,
      };
      const view = await ctx
        .client()
        .request<ClusterPlanView>({ method: 'POST', path: `${base(name)}/plan`, body: change });
      const { formatPlanView } = await import('../format-plan.ts');
      printResult(ctx.printer, ctx.format(), view, () => formatPlanView(view));
      const first = view.plan.errors[0];
      if (first) throw new StrataError(first.code as StrataError['code'], first.message, first.details);
    });

  cluster
    .command('update')
    .description('Move a cluster to profile versions: shows the plan, asks, applies')
    .argument('<name>', 'cluster name')
    .requiredOption('--profile <ref>', 'NAME@VERSION; repeat for add-on profiles', collect)
    .option('--chain', 'allow a chained Kubernetes upgrade across minors')
    .option('-y, --yes', 'apply without asking')
    .option('--wait', 'follow progress until done')
    .option('--timeout <duration>', 'how long --wait waits', DEFAULT_WAIT_TIMEOUT)
    .action(
      async (
        name: string,
        opts: { profile: string[]; chain?: boolean; yes?: boolean; wait?: boolean; timeout: string },
      ) => {
        const change: ClusterChangeInput = {
          kind: 'profiles',
          profiles: opts.profile,
          chain: opts.chain ?? false,
        };
        const view = await ctx
          .client()
          .request<ClusterPlanView>({ method: 'POST', path: `${base(name)}/plan`, body: change });
        if (!(await reviewPlan(ctx, view, opts.yes ?? false))) return;
        await ctx.client().request({
          method: 'POST',
          path: `${base(name)}/update`,
          body: { ...change, expectedResourceVersion: view.resourceVersion },
        });
        ctx.printer.err(`update of cluster ${name} accepted.`);
        await waitIfAsked(ctx, name, opts, 'ready');
      },
    );

  cluster
    .command('override')
    .description('Override one layer’s values on this cluster (the profile is unchanged)')
    .argument('<name>', 'cluster name')
    .requiredOption('--layer <pack>', 'the pack whose values to override')
    .requiredOption(
      '-f, --file <file>',
      'values to lay over the layer’s (YAML; - for stdin): maps merge, lists replace, key: null removes',
    )
    .option('--replace', 'take the file as the layer’s whole values instead of laying it over them')
    .option('-y, --yes', 'apply without asking')
    .option('--wait', 'follow progress until done')
    .option('--timeout <duration>', 'how long --wait waits', DEFAULT_WAIT_TIMEOUT)
    .action(
      async (
        name: string,
        opts: {
          layer: string;
          file: string;
          replace?: boolean;
          yes?: boolean;
          wait?: boolean;
          timeout: string;
        },
      ) => {
        const values = readInputFile(opts.file, '-f');
        const replace = opts.replace ? { replace: true } : {};
        const change: ClusterChangeInput = { kind: 'override', pack: opts.layer, values, ...replace };
        const view = await ctx
          .client()
          .request<ClusterPlanView>({ method: 'POST', path: `${base(name)}/plan`, body: change });
        if (!(await reviewPlan(ctx, view, opts.yes ?? false))) return;
        await ctx.client().request({
          method: 'POST',
          path: `${base(name)}/overrides`,
          body: { pack: opts.layer, values, ...replace, expectedResourceVersion: view.resourceVersion },
        });
        ctx.printer.err(`override of ${opts.layer} on cluster ${name} accepted.`);
        await waitIfAsked(ctx, name, opts, 'ready');
      },
    );

  const repave = cluster.command('repave').description('Node replacement (repave) approval');
  repave
    .command('approve')
    .description('Approve a pending repave (shows why it is needed and asks first)')
    .argument('<name>', 'cluster name')
    .option('-y, --yes', 'approve without asking')
    .option('--wait', 'follow progress until every node is replaced')
    .option('--timeout <duration>', 'how long --wait waits', DEFAULT_WAIT_TIMEOUT)
    .action(async (name: string, opts: { yes?: boolean; wait?: boolean; timeout: string }) => {
      const pending = await ctx.client().request<{
        repave: { state: string; reasons?: Array<{ message: string }> };
      }>({ method: 'GET', path: `${base(name)}/repave` });
      if (pending.repave.state !== 'Pending') {
        throw new StrataError(
          'RepaveNotPending',
          `Cluster ${name} has no repave waiting for approval (repave state: ${pending.repave.state}).`,
          { cluster: name, state: pending.repave.state },
        );
      }
      if (!opts.yes) {
        const reasons = (pending.repave.reasons ?? []).map((r) => `  ${r.message}`).join('\n');
        ctx.printer.err(`The repave of cluster ${name} replaces its nodes, pool by pool:\n${reasons}`);
        if (!(await confirm(`Approve the repave of cluster ${name}?`))) {
          ctx.printer.err('Not approved.');
          return;
        }
      }
      const data = await ctx.client().request<{ repave: { state: string } }>({
        method: 'POST',
        path: `${base(name)}/repave`,
        query: { confirm: name },
        body: { action: 'approve' },
      });
      printResult(ctx.printer, ctx.format(), data, () => `repave of cluster ${name}: ${data.repave.state}`);
      if (!opts.wait) return;
      // The cluster stays Running (at its generation) until the engine takes the approval up: wait for that
      // first, or "ready" would be seen before the repave even starts.
      const timeoutMs = parseDuration(opts.timeout, '--timeout');
      const started = Date.now();
      for (;;) {
        const c = await ctx.client().request<ClusterJson>({ method: 'GET', path: base(name) });
        if (c.status.repave.state !== 'Approved') break;
        if (Date.now() - started > timeoutMs) {
          throw new StrataError(
            'Unavailable',
            `Timed out waiting for the repave of cluster ${name} to start; check with: strata cluster get ${name}`,
            { reason: 'WaitTimeout' },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await waitIfAsked(
        ctx,
        name,
        { wait: true, timeout: `${Math.max(1, Math.ceil((timeoutMs - (Date.now() - started)) / 1000))}s` },
        'ready',
      );
    });

  cluster
    .command('prune')
    .description('Delete objects no longer in use (shows them first)')
    .argument('<name>', 'cluster name')
    .option('--dry-run', 'only show what would be deleted')
    .option('--force', 'allow deleting more than the safety cap')
    .option('-y, --yes', 'delete without asking')
    .action(async (name: string, opts: { dryRun?: boolean; force?: boolean; yes?: boolean }) => {
      const path = `${base(name)}/prune`;
      const preview = await ctx
        .client()
        .request<PruneResult>({ method: 'POST', path, body: { dryRun: true, force: opts.force ?? false } });
      const list = preview.objects.map((o) => `  ${objectName(o)}`).join('\n');
      if (opts.dryRun || preview.objects.length === 0) {
        printResult(ctx.printer, ctx.format(), preview, () =>
          preview.objects.length === 0
            ? 'Nothing to prune.'
            : `Would delete ${preview.objects.length} unused object(s):\n${list}${preview.refused ? '\n(over the safety cap: needs --force)' : ''}`,
        );
        return;
      }
      if (ctx.format() === 'table')
        ctx.printer.out(`Unused objects to delete (${preview.objects.length}):\n${list}`);
      if (preview.refused && !opts.force) {
        throw new StrataError(
          'PruneCapExceeded',
          `Pruning ${preview.objects.length} objects is over the safety cap; re-run with --force.`,
          {
            count: preview.objects.length,
          },
        );
      }
      if (!opts.yes && !(await confirm('Delete these objects?'))) {
        ctx.printer.err('Not pruned.');
        return;
      }
      const result = await ctx.client().request<PruneResult>({
        method: 'POST',
        path,
        query: { confirm: name },
        body: { dryRun: false, force: opts.force ?? false, objects: preview.objects },
      });
      printResult(ctx.printer, ctx.format(), result, () => `Deleted ${result.objects.length} object(s).`);
    });
}
