/** The one-line summary of a plan that conditions, events and rollout previews show. */
import type { Plan } from './plan-types.ts';

/** Returns a one-line summary of a plan: layer changes, repave, object counts, and what blocks it. */
export function summarizePlan(plan: Plan): string {
  const layers = plan.layers.filter((l) => l.change !== 'unchanged');
  const parts = [
    layers.length > 0 ? `${layers.map((l) => `${l.pack} ${l.change}`).join(', ')}` : 'no layer changes',
    plan.repave.required ? `repave of ${plan.repave.pools.map((p) => p.name).join(', ')}` : 'no repave',
    `${plan.objects.create.length} object(s) to create, ${plan.objects.change.length} to change, ${plan.objects.unused.length} left unused, ${plan.objects.delete.length} to delete`,
  ];
  if (plan.errors.length > 0) parts.push(`blocked: ${plan.errors.map((e) => e.code).join(', ')}`);
  return parts.join('; ');
}
