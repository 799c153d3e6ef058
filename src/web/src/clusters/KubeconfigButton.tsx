/** Downloads a cluster's kubeconfig: admin for operators and admins, read-only for viewers. */

import { clusterPath } from '../api/types.ts';
import { useSession } from '../app/session.tsx';
import { useAction } from '../app/use-resource.ts';
import { ErrorBanner } from '../components/ErrorBanner.tsx';

/** Renders the download button (and any error of the download). */
export function KubeconfigButton(props: { cluster: string }) {
  const { api, identity } = useSession();
  const action = useAction();
  const role = identity.role === 'viewer' ? 'read-only' : 'admin';
  const download = async () => {
    const text = await action.run(() => api.text(clusterPath(props.cluster, 'kubeconfig', { role })));
    if (text === undefined) return;
    const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${role === 'admin' ? 'admin' : 'read-only'}.${props.cluster}.kubeconfig`;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <>
      <button
        type="button"
        className="btn btn-secondary"
        onClick={download}
        disabled={action.running}
        title={role === 'admin' ? 'Admin kubeconfig' : 'Read-only kubeconfig (viewers get read-only access)'}
      >
        {action.running ? <span className="spinner" aria-hidden="true" /> : null}
        {role === 'admin' ? 'Admin kubeconfig' : 'Read-only kubeconfig'}
      </button>
      {action.error ? (
        <div className="floating-error">
          <ErrorBanner error={action.error} onDismiss={action.clear} title="Kubeconfig" />
        </div>
      ) : null}
    </>
  );
}
