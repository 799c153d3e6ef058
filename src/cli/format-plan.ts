/**
 * A plan as a person wants to read it in a terminal: what happens to each layer (with the value paths), the
 * presets switched, the repave per pool and why, the Kubernetes steps, the objects created, changed, deleted
 * and left unused, then errors and warnings. Plain text; no colour, so it survives pipes and logs.
 */

import type { AttachedProfile } from '../core/model.ts';
import { MAX_PATHS_PER_OBJECT } from '../core/object-diff.ts';
import type { LayerPlan, Plan, PlanIssue } from '../core/plan-types.ts';
import { isCredentialPath, type ValueChange } from '../core/values.ts';
import type { ClusterPlanView } from '../wire/types.ts';

/** Most value paths listed per layer before "… and N more". */
const MAX_PATHS = 20;
/** Most objects listed per group before "… and N more". */
const MAX_OBJECTS = 15;

function profiles(list: readonly AttachedProfile[]): string {
  return list.length === 0
    ? '(none)'
    : list.map((p) => `${p.name}@${p.version} (revision ${p.revision})`).join(', ');
}

/** Returns a value short enough for one line. */
function shortValue(value: unknown): string {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueLine(change: ValueChange): string {
  // Credentials are named as changing, never printed; `-o json` keeps them for programs.
  const hidden = isCredentialPath(change.path);
  const show = (value: unknown) => (hidden && value !== undefined ? '(hidden)' : shortValue(value));
  switch (change.kind) {
    case 'added':
      return `+ ${change.path}: ${show(change.to)}`;
    case 'removed':
      return `- ${change.path} (was ${show(change.from)})`;
    default:
      return `~ ${change.path}: ${show(change.from)} → ${show(change.to)}`;
  }
}

function layerHeadline(layer: LayerPlan): string {
  const kind = `[${layer.layer}]`;
  switch (layer.change) {
    case 'added':
      return `${kind} ${layer.pack} ${layer.toVersion}: added`;
    case 'removed':
      return `${kind} ${layer.pack} ${layer.fromVersion}: removed`;
    case 'upgraded':
      return `${kind} ${layer.pack}: upgraded ${layer.fromVersion} → ${layer.toVersion}`;
    case 'downgraded':
      return `${kind} ${layer.pack}: downgraded ${layer.fromVersion} → ${layer.toVersion}`;
    case 'replaced':
      return `${kind} ${layer.pack} ${layer.toVersion}: replaces ${layer.replaces ?? 'another pack'}${layer.fromVersion ? ` ${layer.fromVersion}` : ''}`;
    case 'values':
      return `${kind} ${layer.pack} ${layer.toVersion}: values changed`;
    default:
      return `${kind} ${layer.pack} ${layer.toVersion}: unchanged`;
  }
}

function issueLines(title: string, issues: readonly PlanIssue[]): string[] {
  if (issues.length === 0) return [];
  return [`${title}:`, ...issues.map((i) => `  ${i.message} [${i.code}]`)];
}

function objectList(
  verb: string,
  refs: readonly { kind: string; namespace: string; name: string }[],
): string[] {
  if (refs.length === 0) return [];
  const lines = [`  ${verb} (${refs.length}):`];
  for (const r of refs.slice(0, MAX_OBJECTS))
    lines.push(`    ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`);
  if (refs.length > MAX_OBJECTS) lines.push(`    … and ${refs.length - MAX_OBJECTS} more`);
  return lines;
}

/** Returns the plan as readable text lines joined by newlines (no trailing newline). */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`Profiles: ${profiles(plan.from)} → ${profiles(plan.to)}`);
  if (!plan.changed) out.push('No changes: the cluster already runs this configuration.');

  const changedLayers = plan.layers.filter((l) => l.change !== 'unchanged');
  out.push('', 'Layers:');
  if (changedLayers.length === 0) out.push('  (no layer changes)');
  for (const layer of plan.layers) {
    if (layer.change === 'unchanged') continue;
    out.push(`  ${layerHeadline(layer)}${layer.overridden ? ' (cluster override kept)' : ''}`);
    for (const change of layer.values.slice(0, MAX_PATHS)) out.push(`      ${valueLine(change)}`);
    if (layer.values.length > MAX_PATHS)
      out.push(`      … and ${layer.values.length - MAX_PATHS} more value paths`);
    if (layer.presets.enabled.length > 0)
      out.push(`      presets enabled: ${layer.presets.enabled.join(', ')}`);
    if (layer.presets.disabled.length > 0)
      out.push(`      presets disabled: ${layer.presets.disabled.join(', ')}`);
    for (const c of layer.conflicts) {
      out.push(
        `      ! conflict at ${c.path} (line ${c.line}): cluster ${shortValue(c.ours)}, new version ${shortValue(c.theirs)}`,
      );
    }
  }
  const unchanged = plan.layers.length - changedLayers.length;
  if (unchanged > 0) out.push(`  ${unchanged} layer(s) unchanged`);

  out.push('', 'Repave:');
  if (!plan.repave.required) {
    out.push('  none — no node is replaced');
  } else {
    for (const pool of plan.repave.pools) {
      out.push(`  pool ${pool.name} (${pool.role}): replaced — ${pool.reasons.join(', ')}`);
    }
    for (const reason of plan.repave.reasons) out.push(`    because ${reason.message} [${reason.code}]`);
    out.push('  Nodes are replaced only after the repave is approved (strata cluster repave approve NAME).');
  }

  if (plan.kubernetes) {
    const k = plan.kubernetes;
    out.push('', `Kubernetes (${k.distribution}): ${k.from} → ${k.to}`);
    if (k.steps.length > 1)
      out.push(`  chained upgrade, one minor at a time: ${[k.from, ...k.steps].join(' → ')}`);
  }

  const o = plan.objects;
  out.push('', 'Objects:');
  const objectLines = [
    ...objectList('create', o.create),
    ...objectList('change', o.change).flatMap((line, i) => {
      const paths = i === 0 || i > MAX_OBJECTS ? undefined : o.change[i - 1]?.paths;
      if (!paths || paths.length === 0) return [line];
      const shown = paths.slice(0, MAX_PATHS_PER_OBJECT).map((p) => `        ~ ${p}`);
      const more =
        paths.length > MAX_PATHS_PER_OBJECT
          ? [`        … and ${paths.length - MAX_PATHS_PER_OBJECT} more`]
          : [];
      return [line, ...shown, ...more];
    }),
    ...objectList('delete (layer removed)', o.delete),
    ...objectList('unused (kept; prune to delete)', o.unused),
  ];
  if (objectLines.length === 0) out.push('  no object changes');
  out.push(...objectLines);
  if (o.unchanged > 0) out.push(`  ${o.unchanged} unchanged`);

  const issues = [...issueLines('Errors', plan.errors), ...issueLines('Warnings', plan.warnings)];
  if (issues.length > 0) out.push('', ...issues);
  out.push('', plan.applicable ? 'The plan can be applied.' : 'The plan cannot be applied as it is.');
  return out.join('\n');
}

/** Returns a plan view (the API's plan answer) as text: the cluster, then the plan. */
export function formatPlanView(view: ClusterPlanView): string {
  return `Plan for cluster ${view.cluster} (resourceVersion ${view.resourceVersion})\n\n${formatPlan(view.plan)}`;
}
