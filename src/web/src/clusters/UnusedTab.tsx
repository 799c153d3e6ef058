/**
 * Resources no longer in use: objects Strata applied that the current render no longer has. They are kept by
 * default; here they can be previewed and pruned — all, or the ones ticked — with the cap enforced by the server.
 */
import { useCallback, useEffect, useState } from 'react';
import {
  type Cluster,
  clusterPath,
  type ObjectRef,
  type PruneRequest,
  type PruneResult,
} from '../api/types.ts';
import { usePermission, useSession } from '../app/session.tsx';
import { useAction } from '../app/use-resource.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Loading } from '../components/States.tsx';

function keyOf(o: ObjectRef): string {
  return `${o.apiVersion}|${o.kind}|${o.namespace}|${o.name}`;
}

/** Renders the Unused resources tab. */
export function UnusedTab(props: { cluster: Cluster }) {
  const { api } = useSession();
  const can = usePermission('operator');
  const [unused, setUnused] = useState<ObjectRef[] | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirm, setConfirm] = useState<PruneResult | null>(null);
  const base = clusterPath(props.cluster.name, 'prune');
  const [force, setForce] = useState(false);
  const [done, setDone] = useState<ObjectRef[] | null>(null);
  const load = useAction();
  const preview = useAction();
  const prune = useAction();
  const statusVersion = props.cluster.statusVersion;

  const refresh = useCallback(async () => {
    const result = await load.run(() =>
      api.post<PruneResult>(base, { dryRun: true, force: true } satisfies PruneRequest),
    );
    if (result) setUnused(result.objects);
  }, [api, base, load.run]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read when the cluster's status moves.
  useEffect(() => {
    void refresh();
  }, [refresh, statusVersion]);

  const chosen = () => (unused ?? []).filter((o) => selected.has(keyOf(o)));
  const startPrune = async (objects: ObjectRef[] | undefined) => {
    setDone(null);
    const result = await preview.run(() =>
      api.post<PruneResult>(base, { dryRun: true, force: false, objects } satisfies PruneRequest),
    );
    if (result) setConfirm(result);
  };
  const runPrune = async () => {
    if (!confirm) return;
    const objects = confirm.objects;
    // The confirm dialog was the user's yes: the server wants it said (`?confirm=NAME`).
    const result = await prune.run(() =>
      api.post<PruneResult>(clusterPath(props.cluster.name, 'prune', { confirm: props.cluster.name }), {
        dryRun: false,
        force: force || !confirm.refused ? force : false,
        objects,
      } satisfies PruneRequest),
    );
    if (result && !result.refused) {
      setConfirm(null);
      setForce(false);
      setSelected(new Set());
      setDone(result.objects);
      await refresh();
    } else if (result) {
      setConfirm(result);
    }
  };

  if (!unused)
    return load.error ? (
      <ErrorBanner error={load.error} />
    ) : (
      <Loading label="Looking for unused resources…" />
    );
  return (
    <div className="stack">
      <section className="card">
        <div className="card-header">
          <h2>Unused resources</h2>
          <span className="muted">
            Kept as they are (Strata neither updates nor deletes them) until you prune them.
            {props.cluster.spec.settings.prune ? ' This cluster prunes automatically.' : ''}
          </span>
        </div>
        {done ? (
          <div className="issues issues-ok" role="status">
            Pruned {done.length} object(s): {done.map((o) => `${o.kind} ${o.name}`).join(', ')}.
          </div>
        ) : null}
        <ErrorBanner
          error={load.error ?? preview.error}
          onDismiss={() => {
            load.clear();
            preview.clear();
          }}
        />
        {unused.length === 0 ? (
          <Empty title="Nothing unused">
            Every object Strata applied is still part of this cluster's configuration.
          </Empty>
        ) : (
          <>
            <UnusedTable
              objects={unused}
              selected={selected}
              onSelect={setSelected}
              canSelect={can.allowed}
            />
            <div className="actions-row">
              <GuardedButton
                need="operator"
                busy={preview.running}
                disabled={selected.size === 0}
                onClick={() => void startPrune(chosen())}
              >
                Prune selected ({selected.size})…
              </GuardedButton>
              <GuardedButton
                need="operator"
                variant="danger"
                busy={preview.running}
                onClick={() => void startPrune(undefined)}
              >
                Prune all ({unused.length})…
              </GuardedButton>
            </div>
          </>
        )}
      </section>
      {confirm ? (
        <Dialog
          title="Prune unused resources"
          onClose={() => setConfirm(null)}
          footer={
            <>
              <button type="button" className="btn btn-ghost" onClick={() => setConfirm(null)}>
                Cancel
              </button>
              <GuardedButton
                need="operator"
                variant="danger"
                busy={prune.running}
                disabled={confirm.refused && !force}
                onClick={runPrune}
              >
                Delete {confirm.objects.length} object(s)
              </GuardedButton>
            </>
          }
        >
          <p>These objects will be deleted from {props.cluster.name}:</p>
          <ul className="object-list">
            {confirm.objects.map((o) => (
              <li key={keyOf(o)} className="cell-mono">
                {o.kind} {o.namespace ? `${o.namespace}/` : ''}
                {o.name}
              </li>
            ))}
          </ul>
          {confirm.refused ? (
            <div className="issues issues-warning">
              That is more than the safety cap allows at once.
              <label className="check">
                <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Delete
                them anyway (force)
              </label>
            </div>
          ) : null}
          <ErrorBanner error={prune.error} onDismiss={prune.clear} />
        </Dialog>
      ) : null}
    </div>
  );
}

/** The unused objects, each with a box to tick for a selective prune. */
function UnusedTable(props: {
  objects: ObjectRef[];
  selected: Set<string>;
  onSelect(next: Set<string>): void;
  canSelect: boolean;
}) {
  return (
    <table className="simple" data-testid="unused">
      <thead>
        <tr>
          <th className="cell-check">
            <input
              type="checkbox"
              aria-label="Select all"
              checked={props.selected.size === props.objects.length}
              disabled={!props.canSelect}
              onChange={(e) =>
                props.onSelect(e.target.checked ? new Set(props.objects.map(keyOf)) : new Set())
              }
            />
          </th>
          <th>Kind</th>
          <th>Namespace</th>
          <th>Name</th>
          <th>API version</th>
        </tr>
      </thead>
      <tbody>
        {props.objects.map((o) => (
          <tr key={keyOf(o)}>
            <td className="cell-check">
              <input
                type="checkbox"
                aria-label={`Select ${o.kind} ${o.name}`}
                disabled={!props.canSelect}
                checked={props.selected.has(keyOf(o))}
                onChange={(e) => {
                  const next = new Set(props.selected);
                  if (e.target.checked) next.add(keyOf(o));
                  else next.delete(keyOf(o));
                  props.onSelect(next);
                }}
              />
            </td>
            <td>{o.kind}</td>
            <td>{o.namespace || <span className="muted">cluster</span>}</td>
            <td className="cell-name">{o.name}</td>
            <td className="cell-mono muted">{o.apiVersion}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
