/**
 * Node pools and the repave gate: each pool's role, size, machine and update strategy; a pending repave's
 * reasons (which pack change, which pools) and the approval button; and the nodes when the server reports them.
 */
import {
  type Cluster,
  clusterPath,
  type NodePoolSpec,
  type RepaveActionRequest,
  type RepaveView,
} from '../api/types.ts';
import { useSession } from '../app/session.tsx';
import { useAction, useResource } from '../app/use-resource.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Progress } from '../components/States.tsx';
import { ago } from './cluster-notices.ts';
import { EventsPanel } from './OverviewTab.tsx';

interface NodeRow {
  name: string;
  pool: string;
  ready: boolean;
  /** Booting, Ready or NotReady. */
  state?: string;
  osImage?: string;
  kubeletVersion?: string;
  instanceType?: string;
  createdAt?: string;
}

/** Returns a pool's update strategy in words. */
export function strategyText(pool: NodePoolSpec): string {
  const s = pool.strategy;
  const pause = pool.pauseSeconds > 0 ? `, pause ${pool.pauseSeconds}s between nodes` : '';
  if (s.type === 'expand-first') return `expand first (add a node, then drain and delete an old one)${pause}`;
  if (s.type === 'contract-first') return `contract first (drain and delete, then add)${pause}`;
  return `custom: maxSurge ${s.maxSurge}, maxUnavailable ${s.maxUnavailable}${pause}`;
}

/** Renders the Nodes tab. */
export function NodesTab(props: { cluster: Cluster; reload(): Promise<void> }) {
  const c = props.cluster;
  const { api } = useSession();
  const approve = useAction();
  const nodes = useResource<{ items: NodeRow[] }>(clusterPath(c.name, 'nodes'));
  const repave = c.status.repave;

  const onApprove = async () => {
    const answer = await approve.run(() =>
      // Pressing "Approve repave" is the user's confirmation, which the server wants said (`?confirm=NAME`).
      api.post<RepaveView>(clusterPath(c.name, 'repave', { confirm: c.name }), {
        action: 'approve',
      } satisfies RepaveActionRequest),
    );
    if (answer) await props.reload();
  };

  return (
    <div className="stack">
      <section className={`card${repave.state === 'Pending' ? ' card-attention' : ''}`} data-testid="repave">
        <div className="card-header">
          <h2>Repave</h2>
          <Badge tone={repave.state === 'Pending' ? 'warn' : repave.state === 'None' ? 'neutral' : 'info'}>
            {repave.state}
          </Badge>
          <span className="muted">
            {c.spec.settings.repave === 'auto-approve'
              ? 'This cluster approves repaves automatically.'
              : 'Repaves wait for your approval.'}
          </span>
        </div>
        {repave.state === 'None' ? (
          <p className="muted">No node replacement is pending.</p>
        ) : repave.state === 'Reverted' ? (
          <p className="muted">
            The change that needed a repave was reverted {ago(repave.at)}; nothing was replaced.
          </p>
        ) : (
          <>
            <ul className="reasons">
              {repave.reasons.map((r) => (
                <li key={`${r.code}-${r.packDiff.pack}`}>
                  <code className="code-chip">{r.code}</code> {r.message}
                  <div className="muted small">
                    {r.packDiff.pack}: {r.packDiff.fromVersion ?? '∅'} → {r.packDiff.toVersion ?? '∅'}
                    {r.packDiff.paths.length ? ` · ${r.packDiff.paths.join(', ')}` : ''} · pools{' '}
                    {r.pools.join(', ')}
                  </div>
                </li>
              ))}
            </ul>
            {repave.state === 'Pending' ? (
              <>
                <p>
                  Approving replaces the nodes pool by pool — control plane first, one node at a time — using
                  each pool's strategy below. Pods on replaced nodes restart elsewhere.
                </p>
                <ErrorBanner error={approve.error} onDismiss={approve.clear} title="Approve" />
                <GuardedButton need="operator" variant="primary" busy={approve.running} onClick={onApprove}>
                  Approve repave
                </GuardedButton>
              </>
            ) : repave.state === 'Approved' ? (
              <p>
                Approved by {repave.approvedBy} {ago(repave.approvedAt)}.
              </p>
            ) : (
              <Progress
                label={`Replacing nodes (started ${ago(repave.startedAt)}): see the node events below…`}
              />
            )}
          </>
        )}
      </section>
      <section className="card">
        <h2>Node pools</h2>
        <table className="simple" data-testid="pools">
          <thead>
            <tr>
              <th>Pool</th>
              <th>Role</th>
              <th>Nodes</th>
              <th>Machine</th>
              <th>Update strategy</th>
            </tr>
          </thead>
          <tbody>
            {c.spec.pools.map((p) => (
              <tr key={p.name}>
                <td className="cell-name">{p.name}</td>
                <td>{p.role}</td>
                <td>{p.count}</td>
                <td className="cell-mono">
                  {p.machine.instanceType}, {p.machine.diskGiB} GiB
                </td>
                <td>{strategyText(p)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {nodes.data ? (
        <section className="card">
          <h2>Nodes</h2>
          {nodes.data.items.length === 0 ? (
            <Empty title="No nodes yet" />
          ) : (
            <table className="simple">
              <thead>
                <tr>
                  <th>Node</th>
                  <th>Pool</th>
                  <th>Ready</th>
                  <th>OS image</th>
                  <th>Kubelet</th>
                  <th>Machine</th>
                  <th>Age</th>
                </tr>
              </thead>
              <tbody>
                {nodes.data.items.map((n) => (
                  <tr key={n.name}>
                    <td className="cell-name">{n.name}</td>
                    <td>{n.pool}</td>
                    <td>
                      {n.ready ? (
                        <Badge tone="ok">Ready</Badge>
                      ) : (
                        <Badge tone="warn">{n.state ?? 'NotReady'}</Badge>
                      )}
                    </td>
                    <td className="cell-mono">{n.osImage ?? '—'}</td>
                    <td className="cell-mono">{n.kubeletVersion ?? '—'}</td>
                    <td className="cell-mono">{n.instanceType ?? '—'}</td>
                    <td className="muted">{n.createdAt ? ago(n.createdAt) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ) : nodes.error && nodes.error.code !== 'NotFound' ? (
        <ErrorBanner error={nodes.error} title="Nodes" />
      ) : null}
      <section className="card">
        <EventsPanel cluster={c.name} reasons={['Node', 'Repave']} title="Node events" />
      </section>
    </div>
  );
}
