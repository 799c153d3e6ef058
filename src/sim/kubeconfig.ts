/** Kubeconfig files for simulated clusters: the server URL, the CA data and a bearer token. */
import { stringify } from 'yaml';
import type { SimTokenRole } from './tokens.ts';

/** What a kubeconfig needs. */
export interface KubeconfigInput {
  cluster: string;
  server: string;
  caCertPem: string;
  token: string;
  role: SimTokenRole;
}

/** Returns a kubeconfig (YAML) whose current context reaches the cluster with the given token. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const user = input.role === 'admin' ? `${input.cluster}-admin` : `${input.cluster}-read-only`;
  const context =
    input.role === 'admin'
      ? `${input.cluster}-admin@${input.cluster}`
      : `${input.cluster}-read-only@${input.cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: input.cluster,
        cluster: {
          server: input.server,
          'certificate-authority-data': Buffer.from(input.caCertPem).toString('base64'),
        },
      },
    ],
    users: [{ name: user, user: { token: input.token } }],
    contexts: [{ name: context, context: { cluster: input.cluster, user, namespace: 'default' } }],
    'current-context': context,
    preferences: {},
  });
}
