/** Create a cluster from a profile version: name, profile, control-plane size and workers. */
import { useState } from 'react';
import { API_PATHS, type Cluster, type CreateClusterRequest, type ProfileSummary } from '../api/types.ts';
import { navigate } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useAction } from '../app/use-resource.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';

/** Renders the dialog; on success it opens the new cluster's page. */
export function CreateClusterDialog(props: {
  profiles: ProfileSummary[];
  onClose(): void;
  initialProfile?: string;
}) {
  const { api } = useSession();
  const base = props.profiles.filter((p) => p.type !== 'addon');
  const [name, setName] = useState('');
  const [profile, setProfile] = useState(
    props.initialProfile ?? (base[0] ? `${base[0].name}@${base[0].version}` : ''),
  );
  const [controlPlane, setControlPlane] = useState<1 | 3 | 5>(1);
  const [workers, setWorkers] = useState(2);
  const action = useAction();

  const create = async () => {
    const created = await action.run(() =>
      api.post<Cluster>(API_PATHS.clusters, {
        name: name.trim(),
        profiles: [profile],
        controlPlane,
        workers,
      } satisfies CreateClusterRequest),
    );
    if (created) {
      props.onClose();
      navigate(['clusters', created.name]);
    }
  };

  return (
    <Dialog
      title="New cluster"
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={props.onClose}>
            Cancel
          </button>
          <GuardedButton
            need="operator"
            variant="primary"
            busy={action.running}
            disabled={!name.trim() || !profile}
            onClick={create}
          >
            Create cluster
          </GuardedButton>
        </>
      }
    >
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. prod-eu-1"
            name="cluster-name"
          />
        </label>
        <label className="field">
          <span>Profile version</span>
          <select value={profile} onChange={(e) => setProfile(e.target.value)} name="profile">
            {base.map((p) => (
              <option key={`${p.name}@${p.version}`} value={`${p.name}@${p.version}`}>
                {p.name}@{p.version} ({p.type})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Control-plane nodes</span>
          <select value={controlPlane} onChange={(e) => setControlPlane(Number(e.target.value) as 1 | 3 | 5)}>
            <option value={1}>1</option>
            <option value={3}>3</option>
            <option value={5}>5</option>
          </select>
        </label>
        <label className="field">
          <span>Workers</span>
          <input
            type="number"
            min={0}
            max={1000}
            value={workers}
            onChange={(e) => setWorkers(Number(e.target.value))}
          />
        </label>
        <button type="submit" hidden />
      </form>
      <ErrorBanner error={action.error} />
    </Dialog>
  );
}
