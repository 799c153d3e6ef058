/**
 * A plan, readable: what changes per layer (packs, presets, value paths), what it causes (repave, Kubernetes
 * steps, objects created, changed, left unused or deleted), and the errors that block it or warnings to weigh.
 */
import { isCredentialPath } from '../../../core/values.ts';
import type { ObjectRef, Plan } from '../api/types.ts';
import { Badge } from '../components/Badges.tsx';

const CHANGE_TONE = {
  added: 'ok',
  removed: 'bad',
  upgraded: 'accent',
  downgraded: 'warn',
  replaced: 'warn',
  values: 'info',
  unchanged: 'neutral',
} as const;

/** Returns a short text for a value in a change list; a credential's value (by its path) shows as hidden. */
export function showValue(value: unknown, path?: string): string {
  if (value === undefined) return '∅';
  if (path !== undefined && isCredentialPath(path)) return '(hidden)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function refText(o: ObjectRef): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** Renders the plan; `repaveMode` says whether the cluster waits for approval. */
export function PlanSummary(props: { plan: Plan; repaveMode?: 'manual' | 'auto-approve' }) {
  const { plan } = props;
  const changing = plan.layers.filter((l) => l.change !== 'unchanged');
  const o = plan.objects;
  const conflicts = plan.layers.reduce((n, l) => n + l.conflicts.length, 0);
  return (
    <div className="plan" data-testid="plan-summary">
      <div className="plan-headline">
        <Stat label="layers change" value={changing.length} />
        <Stat
          label={
            plan.repave.required ? `repave: ${plan.repave.pools.map((p) => p.name).join(', ')}` : 'no repave'
          }
          value={plan.repave.required ? 'Repave' : '—'}
          tone={plan.repave.required ? 'warn' : undefined}
        />
        <Stat
          label="Kubernetes"
          value={plan.kubernetes ? `${plan.kubernetes.from} → ${plan.kubernetes.to}` : 'unchanged'}
          tone={plan.kubernetes ? 'accent' : undefined}
        />
        <Stat label="objects create / change" value={`${o.create.length} / ${o.change.length}`} />
        <Stat
          label="left unused / deleted"
          value={`${o.unused.length} / ${o.delete.length}`}
          tone={o.unused.length ? 'info' : undefined}
        />
        {conflicts > 0 ? <Stat label="conflicts to resolve" value={conflicts} tone="bad" /> : null}
      </div>

      {plan.errors.length > 0 ? (
        <div className="issues issues-error" role="alert">
          <strong>This change cannot be applied:</strong>
          <ul>
            {plan.errors.map((e) => (
              <li key={`${e.code}${e.message}`}>
                <code className="code-chip">{e.code}</code> {e.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {plan.warnings.length > 0 ? (
        <div className="issues issues-warning">
          <ul>
            {plan.warnings.map((w) => (
              <li key={`${w.code}${w.message}`}>
                <code className="code-chip">{w.code}</code> {w.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {plan.repave.required ? (
        <div className="issues issues-warning" data-testid="repave-warning">
          <strong>
            Nodes will be replaced
            {props.repaveMode === 'auto-approve'
              ? ' automatically (this cluster auto-approves repaves).'
              : ' after you approve the repave on the Nodes tab.'}
          </strong>
          <ul>
            {plan.repave.reasons.map((r) => (
              <li key={`${r.code}${r.packDiff.pack}`}>
                <code className="code-chip">{r.code}</code> {r.message}{' '}
                <span className="muted">(pools {r.pools.join(', ')})</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {plan.kubernetes && plan.kubernetes.steps.length > 1 ? (
        <div className="issues issues-info">
          Chained upgrade: {plan.kubernetes.from} → {plan.kubernetes.steps.join(' → ')}, each step healthy
          before the next.
        </div>
      ) : null}

      {!plan.changed ? (
        <div className="muted">Nothing would change: the cluster already runs this configuration.</div>
      ) : (
        <table className="simple plan-layers">
          <thead>
            <tr>
              <th>Layer</th>
              <th>Change</th>
              <th>Version</th>
              <th>Presets</th>
              <th>Values</th>
            </tr>
          </thead>
          <tbody>
            {changing.map((l) => (
              <tr key={l.pack}>
                <td>
                  <div className="cell-name">{l.pack}</div>
                  <div className="muted small">{l.layer}</div>
                </td>
                <td>
                  <Badge tone={CHANGE_TONE[l.change]}>{l.change}</Badge>
                  {l.replaces ? <div className="muted small">replaces {l.replaces}</div> : null}
                  {l.overridden ? (
                    <div>
                      <Badge
                        tone="accent"
                        title="The cluster's own values on this layer are kept by the 3-way merge"
                      >
                        override kept
                      </Badge>
                    </div>
                  ) : null}
                  {l.conflicts.length > 0 ? (
                    <div>
                      <Badge tone="bad">{l.conflicts.length} conflict(s)</Badge>
                    </div>
                  ) : null}
                </td>
                <td className="cell-mono nowrap">
                  {l.fromVersion === l.toVersion
                    ? (l.toVersion ?? '—')
                    : `${l.fromVersion ?? '∅'} → ${l.toVersion ?? '∅'}`}
                </td>
                <td>
                  {l.presets.enabled.map((p) => (
                    <div key={p} className="diff-add">
                      + {p}
                    </div>
                  ))}
                  {l.presets.disabled.map((p) => (
                    <div key={p} className="diff-del">
                      − {p}
                    </div>
                  ))}
                </td>
                <td>
                  <ul className="value-changes">
                    {l.values.slice(0, 12).map((v) => (
                      <li key={v.path}>
                        <code>{v.path}</code>{' '}
                        {v.kind === 'added' ? (
                          <span className="diff-add">= {showValue(v.to, v.path)}</span>
                        ) : v.kind === 'removed' ? (
                          <span className="diff-del">removed</span>
                        ) : (
                          <span>
                            <span className="diff-del">{showValue(v.from, v.path)}</span> →{' '}
                            <span className="diff-add">{showValue(v.to, v.path)}</span>
                          </span>
                        )}
                      </li>
                    ))}
                    {l.values.length > 12 ? (
                      <li className="muted">…and {l.values.length - 12} more</li>
                    ) : null}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {o.unused.length > 0 ? (
        <div className="issues issues-info" data-testid="plan-unused">
          <strong>Left unused:</strong> no longer part of the configuration, but kept running as they are
          until you prune them from the Unused resources tab.
          <ObjectList items={o.unused} />
        </div>
      ) : null}
      {o.delete.length > 0 ? (
        <div className="issues issues-warning" data-testid="plan-delete">
          <strong>Deleted with their layer:</strong>
          <ObjectList items={o.delete} />
        </div>
      ) : null}
      {o.create.length + o.change.length > 0 ? (
        <details className="plan-objects">
          <summary>Objects created or changed ({o.create.length + o.change.length})</summary>
          <ObjectList title="Create" tone="diff-add" items={o.create} />
          <ObjectList title="Change" tone="" items={o.change} />
        </details>
      ) : null}
    </div>
  );
}

function ObjectList(props: { title?: string; tone?: string; items: ObjectRef[] }) {
  if (props.items.length === 0) return null;
  return (
    <div className="object-list">
      {props.title ? <div className="small strong">{props.title}</div> : null}
      <ul>
        {props.items.map((o) => (
          <li key={refText(o)} className={`cell-mono ${props.tone ?? ''}`}>
            {refText(o)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Stat(props: { label: string; value: string | number; tone?: 'warn' | 'accent' | 'info' | 'bad' }) {
  return (
    <div className={`stat${props.tone ? ` stat-${props.tone}` : ''}`}>
      <div className="stat-value">{props.value}</div>
      <div className="stat-label">{props.label}</div>
    </div>
  );
}
