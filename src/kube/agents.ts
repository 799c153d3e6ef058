/**
 * Keep-alive HTTPS agents shared by every Kubernetes client with the same TLS material. `@kubernetes/client-node`
 * makes a new agent (so a new TLS handshake) per request; a fleet of clusters behind one CA would pay that on
 * every call. Agents are keyed by CA, client certificate and verification settings, so clients of different
 * API servers never share credentials — only connection pools.
 */
import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:https';

/** The TLS material an agent is made for. */
export interface AgentTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

const agents = new Map<string, Agent>();
/** Sockets per agent: enough for a thousand clusters applying at once behind one port. */
const MAX_SOCKETS = 256;

/** Keys already computed, per TLS material object (a client passes the same object on every request). */
const keys = new WeakMap<AgentTls, string>();

function keyOf(tls: AgentTls): string {
  const known = keys.get(tls);
  if (known !== undefined) return known;
  const h = createHash('sha256');
  for (const part of [tls.ca, tls.cert, tls.key, String(tls.rejectUnauthorized), tls.servername ?? '']) {
    h.update(part === undefined ? '-' : part);
    h.update('\u0000');
  }
  const key = h.digest('hex');
  keys.set(tls, key);
  return key;
}

/** Returns the shared keep-alive agent for this TLS material, making it on first use. */
export function sharedAgent(tls: AgentTls): Agent {
  const key = keyOf(tls);
  let agent = agents.get(key);
  if (!agent) {
    const options: AgentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS };
    if (tls.ca !== undefined) options.ca = tls.ca;
    if (tls.cert !== undefined) options.cert = tls.cert;
    if (tls.key !== undefined) options.key = tls.key;
    if (tls.rejectUnauthorized !== undefined) options.rejectUnauthorized = tls.rejectUnauthorized;
    if (tls.servername !== undefined) options.servername = tls.servername;
    agent = new Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** Closes every shared agent's idle sockets (on shutdown, so the process can exit). */
export function destroySharedAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}
