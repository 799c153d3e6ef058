/**
 * A Strata worker's handle on a simulator another process runs: the same operations as `SimInfrastructure`,
 * called over the simulated API server's `/infra/v1` endpoint, and kubeconfigs that point at that server. The
 * CA and token secret come from the simulator's PKI folder (`$STRATA_HOME/pki`), shared by the processes of
 * one installation.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { type ErrorDetails, StrataError, type StrataErrorCode } from '../core/errors.ts';
import type { InfraOperation } from './infra-rpc.ts';
import { INFRA_RPC_PATH, infraToken } from './infra-rpc.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import type { SimNodeInput, SimNodeSummary, SimPoolInput, SimPoolSummary } from './machines.ts';
import { type SimTokenRole, tokenFor } from './tokens.ts';

/** A simulator reached over HTTPS. */
export interface RemoteSimulator {
  /** `https://127.0.0.1:<port>` */
  url: string;
  infra: RemoteSimInfrastructure;
  /** Returns a kubeconfig (YAML) for a cluster and role, pointing at the remote server. */
  kubeconfig(cluster: string, role: SimTokenRole): string;
  /** Asks the simulator to persist its pending writes. */
  flush(): Promise<void>;
}

type Caller = (op: InfraOperation, args: unknown[]) => Promise<unknown>;

/** `SimInfrastructure`'s operations over HTTPS. */
export class RemoteSimInfrastructure {
  constructor(private readonly call: Caller) {}

  async createCluster(name: string): Promise<void> {
    await this.call('createCluster', [name]);
  }
  async clusterExists(name: string): Promise<boolean> {
    return (await this.call('clusterExists', [name])) === true;
  }
  async deleteCluster(name: string): Promise<void> {
    await this.call('deleteCluster', [name]);
  }
  async createPool(cluster: string, pool: SimPoolInput): Promise<void> {
    await this.call('createPool', [cluster, pool]);
  }
  async listPools(cluster: string): Promise<SimPoolSummary[]> {
    return (await this.call('listPools', [cluster])) as SimPoolSummary[];
  }
  async addNode(cluster: string, pool: string, node: SimNodeInput): Promise<string> {
    return (await this.call('addNode', [cluster, pool, node])) as string;
  }
  async drainNode(cluster: string, node: string): Promise<string[]> {
    return (await this.call('drainNode', [cluster, node])) as string[];
  }
  async deleteNode(cluster: string, node: string): Promise<void> {
    await this.call('deleteNode', [cluster, node]);
  }
  async listNodes(cluster: string): Promise<SimNodeSummary[]> {
    return (await this.call('listNodes', [cluster])) as SimNodeSummary[];
  }
}

async function readShared(pkiDir: string, file: string): Promise<string> {
  try {
    return (await readFile(join(pkiDir, file), 'utf8')).trim();
  } catch {
    throw new StrataError(
      'Unavailable',
      `The simulator's ${file} is not in ${pkiDir}. Start \`strata up\` first and give this process the same STRATA_HOME (or a copy of its pki folder).`,
      { pkiDir, file },
    );
  }
}

/** Connects to the simulator at `url` with the CA and token secret in `pkiDir`; checks it answers. */
export async function connectRemoteSimulator(options: {
  url: string;
  pkiDir: string;
}): Promise<RemoteSimulator> {
  const caCertPem = await readShared(options.pkiDir, 'ca.crt');
  const secret = await readShared(options.pkiDir, 'sim-token.secret');
  const base = new URL(options.url);
  const token = infraToken(secret);
  const call: Caller = (op, args) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ op, args });
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          path: INFRA_RPC_PATH,
          method: 'POST',
          ca: caCertPem,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let answer: { result?: unknown; code?: string; message?: string; details?: ErrorDetails };
            try {
              answer = JSON.parse(text);
            } catch {
              reject(
                new StrataError('Unavailable', `The simulator at ${options.url} answered ${res.statusCode}.`),
              );
              return;
            }
            if (res.statusCode === 200) resolve(answer.result);
            else
              reject(
                new StrataError(
                  (answer.code ?? 'Unavailable') as StrataErrorCode,
                  answer.message ?? `The simulator answered ${res.statusCode}.`,
                  answer.details ?? {},
                ),
              );
          });
          res.on('error', reject);
        },
      );
      req.on('error', (error) =>
        reject(
          new StrataError(
            'Unavailable',
            `The simulator at ${options.url} is not reachable: ${error.message}`,
            {
              url: options.url,
            },
          ),
        ),
      );
      req.end(body);
    });
  const url = `${base.protocol}//${base.host}`;
  await call('clusterExists', ['strata-connection-check']);
  return {
    url,
    infra: new RemoteSimInfrastructure(call),
    kubeconfig: (cluster, role) =>
      renderKubeconfig({
        cluster,
        server: `${url}/clusters/${encodeURIComponent(cluster)}`,
        caCertPem,
        token: tokenFor(secret, cluster, role),
        role,
      }),
    flush: async () => {
      await call('flush', []);
    },
  };
}
