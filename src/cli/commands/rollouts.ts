/**
 * `strata rollout start | list | get | pause | resume | cancel` — clients of `/v1/rollouts`. `start` shows the
 * preview (waves and the aggregate plan) and asks before starting unless `--yes`; `--wait` follows the rollout
 * wave by wave until it ends, exiting 1 when it ends Halted (or Cancelled).
 */
import type { Command } from 'commander';
import type { RolloutPage, RolloutPreview, RolloutView } from '../../api/schemas.ts';
import { StrataError } from '../../core/errors.ts';
import { confirm } from '../confirm.ts';
import { type CliContext, seg } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { age, type Printer, printResult, renderTable } from '../output.ts';
import { DEFAULT_WAIT_TIMEOUT } from '../wait.ts';

/** A rollout as it arrives over JSON (dates as strings). */
type RolloutJson = Omit<RolloutView, 'createdAt' | 'updatedAt' | 'finishedAt' | 'soakUntil'> & {
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  soakUntil: string | null;
};

const FINAL_STATES = new Set(['Halted', 'Cancelled', 'Completed']);
const MEMBER_STATES = ['waiting', 'applying', 'repave-pending', 'healthy', 'failed', 'skipped'] as const;

/** Returns the preview as text: totals, waves, distinct plans and skipped clusters. */
export function formatPreview(p: RolloutPreview): string {
  const t = p.totals;
  const lines = [
    `Rollout ${p.from.profile}@${p.from.version} → ${p.to.profile}@${p.to.version} (revision ${p.to.revision})${
      Object.keys(p.selector).length > 0
        ? ` for clusters labelled ${Object.entries(p.selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`
        : ''
    }`,
    `${t.matched} cluster(s) matched: ${t.eligible} to move, ${t.skipped} skipped (plan errors), ${t.unchanged} already there; ${t.repave} need a repave.`,
    '',
    renderTable(
      ['wave', 'clusters', 'first'],
      p.waves.map((w) => [
        String(w.wave),
        String(w.size),
        `${w.clusters.slice(0, 5).join(', ')}${w.size > 5 ? ', …' : ''}`,
      ]),
    ),
  ];
  if (p.plans.length > 0) {
    lines.push('', 'Plans (one per distinct change):');
    lines.push(
      renderTable(
        ['clusters', 'configs', 'example', 'repave', 'plan'],
        p.plans.map((plan) => [
          String(plan.clusters),
          String(plan.configurations ?? 1),
          plan.example,
          plan.repave ? 'yes' : 'no',
          plan.errors.length > 0
            ? `ERROR ${plan.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`
            : plan.summary,
        ]),
      ),
    );
  }
  if (p.skipped.length > 0) {
    lines.push('', 'Skipped clusters:');
    lines.push(
      renderTable(
        ['cluster', 'code', 'message'],
        p.skipped.map((s) => [s.cluster, s.code, s.message]),
      ),
    );
  }
  return lines.join('\n');
}

function countsText(counts: Partial<Record<string, number>>): string {
  return (
    MEMBER_STATES.filter((s) => (counts[s] ?? 0) > 0)
      .map((s) => `${counts[s]} ${s}`)
      .join(', ') || 'none'
  );
}

/** Returns a rollout as text: its state, waves with counts, halt reason and a page of members. */
export function formatRollout(r: RolloutJson): string {
  const lines = [
    `Rollout ${r.id}: ${r.from.profile}@${r.from.version} → ${r.to.profile}@${r.to.version} (revision ${r.to.revision})`,
    `State: ${r.state}, wave ${r.currentWave} of ${r.waveCount}${r.soakUntil && r.state === 'Soaking' ? ` (soaking until ${r.soakUntil})` : ''}`,
    `Canary ${r.canary}, growth ×${r.growth}, soak ${r.soakSeconds}s, progress deadline ${r.progressDeadlineSeconds}s, maxFailures ${r.maxFailures}`,
  ];
  if (r.haltReason) lines.push(`Halted: ${r.haltReason}`);
  lines.push(
    '',
    renderTable(
      ['wave', 'clusters', 'states'],
      r.waves.map((w) => [String(w.wave), String(w.size), countsText(w.counts)]),
    ),
  );
  if ((r.counts.skipped ?? 0) > 0) lines.push(`Skipped before the waves: ${r.counts.skipped}`);
  if (r.members.items.length > 0) {
    lines.push(
      '',
      renderTable(
        ['cluster', 'wave', 'state', 'detail'],
        r.members.items.map((m) => [
          m.cluster,
          String(m.wave),
          m.state,
          m.errorCode ? `${m.errorCode}: ${m.message ?? ''}` : (m.message ?? ''),
        ]),
      ),
    );
    if (r.members.nextCursor) lines.push('(more clusters: -o json for the cursor)');
  }
  return lines.join('\n');
}

/** Polls a rollout and prints wave progress until it ends; returns its final state. */
async function followRollout(
  ctx: CliContext,
  id: string,
  timeoutMs: number,
  printer: Printer,
  intervalMs = 1000,
): Promise<RolloutJson> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const r = await ctx
      .client()
      .request<RolloutJson>({ method: 'GET', path: `/v1/rollouts/${seg(id)}?limit=1` });
    const wave = r.waves[r.currentWave - 1];
    const line = `${r.state} wave ${r.currentWave}/${r.waveCount}: ${wave ? countsText(wave.counts) : ''}; total ${countsText(r.counts)}`;
    if (line !== last) {
      printer.out(`[${Math.round((Date.now() - started) / 1000)}s] ${line}`);
      last = line;
    }
    if (FINAL_STATES.has(r.state)) {
      printer.out(`Rollout ${r.id} ${r.state}${r.haltReason ? `: ${r.haltReason}` : '.'}`);
      return r;
    }
    if (Date.now() - started > timeoutMs) {
      throw new StrataError(
        'Unavailable',
        `Rollout ${id} still ${r.state} after ${Math.round(timeoutMs / 1000)} s; it goes on — follow it with strata rollout get ${id}.`,
        { id, state: r.state },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Registers the `rollout` commands. */
export function registerRolloutCommands(program: Command, ctx: CliContext): void {
  const rollout = program.command('rollout').description('Fleet-wide rollouts of a profile change, in waves');
  rollout
    .command('start')
    .description('Start (or --preview) a rollout from one profile version to another')
    .requiredOption('--from <ref>', 'NAME@VERSION the clusters run')
    .requiredOption('--to <ref>', 'NAME@VERSION to move them to')
    .option('--selector <labels>', 'only clusters with these labels (k=v,…)')
    .option('--canary <n>', 'clusters in the first wave', '1')
    .option('--growth <n>', 'each wave is this many times the previous one', '4')
    .option('--soak <duration>', 'wait between waves', '5m')
    .option('--progress-deadline <duration>', 'time a cluster has to pass the health gate', '10m')
    .option('--max-failures <n>', 'halt after more than this many failed clusters', '0')
    .option('--preview', 'show the waves and plans without starting')
    .option('-y, --yes', 'start without asking')
    .option('--wait', 'follow progress until the rollout ends (exit 1 when it halts)')
    .option('--timeout <duration>', 'how long --wait waits', DEFAULT_WAIT_TIMEOUT)
    .action(
      async (opts: {
        from: string;
        to: string;
        selector?: string;
        canary: string;
        growth: string;
        soak: string;
        progressDeadline: string;
        maxFailures: string;
        preview?: boolean;
        yes?: boolean;
        wait?: boolean;
        timeout: string;
      }) => {
        const whole = (value: string, flag: string) => {
          const n = Number(value);
          if (!Number.isInteger(n)) {
            throw new StrataError(
              'ValidationFailed',
              `${flag} must be a whole number; got ${JSON.stringify(value)}.`,
              {
                field: flag,
              },
            );
          }
          return n;
        };
        const body = {
          from: opts.from,
          to: opts.to,
          ...(opts.selector ? { selector: opts.selector } : {}),
          canary: whole(opts.canary, '--canary'),
          growth: whole(opts.growth, '--growth'),
          soakSeconds: Math.round(parseDuration(opts.soak, '--soak') / 1000),
          progressDeadlineSeconds: Math.max(
            1,
            Math.round(parseDuration(opts.progressDeadline, '--progress-deadline') / 1000),
          ),
          maxFailures: whole(opts.maxFailures, '--max-failures'),
        };
        const client = ctx.client();
        const toStderr: Printer = { out: (t) => ctx.printer.err(t), err: ctx.printer.err };
        const table = ctx.format() === 'table';
        if (opts.preview || !opts.yes) {
          const preview = await client.request<RolloutPreview>({
            method: 'POST',
            path: '/v1/rollouts',
            body: { ...body, preview: true },
          });
          if (opts.preview) {
            printResult(ctx.printer, ctx.format(), preview, () => formatPreview(preview));
            return;
          }
          (table ? ctx.printer : toStderr).out(formatPreview(preview));
          if (!(await confirm('Start this rollout?'))) {
            ctx.printer.err('Not started.');
            return;
          }
        }
        const started = await client.request<RolloutJson>({ method: 'POST', path: '/v1/rollouts', body });
        printResult(ctx.printer, ctx.format(), started, () => formatRollout(started));
        if (!opts.wait) return;
        const final = await followRollout(
          ctx,
          started.id,
          parseDuration(opts.timeout, '--timeout'),
          table ? ctx.printer : toStderr,
        );
        if (final.state !== 'Completed') {
          throw new StrataError(
            'RolloutNotActive',
            `Rollout ${final.id} ended ${final.state}${final.haltReason ? `: ${final.haltReason}` : '.'}`,
            { id: final.id, state: final.state },
          );
        }
      },
    );
  rollout
    .command('list')
    .description('List rollouts, newest first')
    .option('--limit <n>', 'rollouts per page', '50')
    .option('--cursor <cursor>', 'the next page')
    .action(async (opts: { limit: string; cursor?: string }) => {
      const query = new URLSearchParams({
        limit: opts.limit,
        ...(opts.cursor ? { cursor: opts.cursor } : {}),
      });
      const data = await ctx.client().request<Omit<RolloutPage, 'items'> & { items: RolloutJson[] }>({
        method: 'GET',
        path: `/v1/rollouts?${query}`,
      });
      printResult(ctx.printer, ctx.format(), data, () =>
        [
          renderTable(
            ['id', 'from', 'to', 'state', 'wave', 'age'],
            data.items.map((r) => [
              r.id,
              `${r.from.profile}@${r.from.version}`,
              `${r.to.profile}@${r.to.version}#${r.to.revision}`,
              r.state,
              `${r.currentWave}/${r.waveCount}`,
              age(r.createdAt),
            ]),
          ),
          ...(data.nextCursor ? [`(more: --cursor ${data.nextCursor})`] : []),
        ].join('\n'),
      );
    });
  rollout
    .command('get')
    .description('Show a rollout, its waves and its clusters')
    .argument('<id>')
    .option('--wave <n>', 'only the clusters of this wave')
    .option(
      '--state <state>',
      'only clusters in this state (waiting, applying, healthy, failed, skipped, repave-pending)',
    )
    .option('--wait', 'follow progress until the rollout ends (exit 1 when it halts)')
    .option('--timeout <duration>', 'how long --wait waits', DEFAULT_WAIT_TIMEOUT)
    .action(async (id: string, opts: { wave?: string; state?: string; wait?: boolean; timeout: string }) => {
      const query = new URLSearchParams({
        ...(opts.wave ? { wave: opts.wave } : {}),
        ...(opts.state ? { state: opts.state } : {}),
      });
      const data = await ctx.client().request<RolloutJson>({
        method: 'GET',
        path: `/v1/rollouts/${seg(id)}${query.size > 0 ? `?${query}` : ''}`,
      });
      printResult(ctx.printer, ctx.format(), data, () => formatRollout(data));
      if (!opts.wait) return;
      const table = ctx.format() === 'table';
      const final = await followRollout(
        ctx,
        id,
        parseDuration(opts.timeout, '--timeout'),
        table ? ctx.printer : { out: (t) => ctx.printer.err(t), err: ctx.printer.err },
      );
      if (final.state !== 'Completed') {
        throw new StrataError('RolloutNotActive', `Rollout ${final.id} ended ${final.state}.`, {
          id: final.id,
          state: final.state,
        });
      }
    });
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    rollout
      .command(action)
      .description(`${action[0]!.toUpperCase()}${action.slice(1)} a rollout`)
      .argument('<id>')
      .action(async (id: string) => {
        const data = await ctx
          .client()
          .request<RolloutJson>({ method: 'POST', path: `/v1/rollouts/${seg(id)}/${action}` });
        printResult(
          ctx.printer,
          ctx.format(),
          data,
          () => `rollout ${id}: ${data.state}, wave ${data.currentWave} of ${data.waveCount}`,
        );
      });
  }
}
