/**
 * The simulated infrastructure over HTTPS, for Strata worker processes that do not run the simulator: one
 * `POST /infra/v1` endpoint on the simulated API server taking `{op, args}` and answering `{result}` or, on
 * failure, Strata's `{code, message, details}` (so `AlreadyExists` stays `AlreadyExists` on the other side).
 * Authorised by a bearer token derived from the simulator's token secret, like the clusters' tokens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusFor } from '../api/http-status.ts';
import { isStrataError, StrataError } from '../core/errors.ts';
import type { SimFleet } from './fleet.ts';
import type { SimInfrastructure } from './machines.ts';
import { tokenFor } from './tokens.ts';

/** The path of the endpoint. */
export const INFRA_RPC_PATH = '/infra/v1';

/** The pseudo-cluster the infrastructure token is derived for (never a valid cluster name). */
const INFRA_SUBJECT = ':infrastructure';

/** Returns the bearer token that authorises infrastructure calls. */
export function infraToken(secret: string): string {
  return tokenFor(secret, INFRA_SUBJECT, 'admin');
}

/** The operations a remote caller may run, with their argument counts. */
const OPERATIONS = {
  createCluster: 1,
  clusterExists: 1,
  deleteCluster: 1,
  createPool: 2,
  listPools: 1,
  addNode: 3,
  drainNode: 2,
  deleteNode: 2,
  listNodes: 1,
  flush: 0,
} as const;

/** An operation's name. */
export type InfraOperation = keyof typeof OPERATIONS;

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Runs one call; the caller has checked the token. */
export async function serveInfraCall(
  infra: SimInfrastructure,
  fleet: SimFleet,
  body: unknown,
  res: ServerResponse,
): Promise<void> {
  try {
    const call = body as { op?: unknown; args?: unknown } | undefined;
    const op = call?.op;
    if (typeof op !== 'string' || !Object.hasOwn(OPERATIONS, op)) {
      throw new StrataError('BadRequest', `unknown infrastructure operation ${JSON.stringify(op)}`, {
        operations: Object.keys(OPERATIONS),
      });
    }
    const args = call?.args ?? [];
    const want = OPERATIONS[op as InfraOperation];
    if (!Array.isArray(args) || args.length !== want) {
      throw new StrataError('BadRequest', `${op} takes ${want} argument(s)`, { op });
    }
    let result: unknown;
    if (op === 'flush') result = await fleet.flush();
    else {
      const method = (infra as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]!;
      result = await method.apply(infra, args);
      // A worker completes its step once the call returns: what the call changed must be durable by then.
      if (op !== 'clusterExists' && op !== 'listPools' && op !== 'listNodes') await fleet.flush();
    }
    send(res, 200, { result: result ?? null });
  } catch (error) {
    if (isStrataError(error)) {
      send(res, httpStatusFor(error.code), {
        code: error.code,
        message: error.message,
        details: error.details,
      });
      return;
    }
    console.error('sim: infrastructure call failed:', error);
    send(res, 500, { code: 'Internal', message: 'The infrastructure call failed.', details: {} });
  }
}

/** True when the request is an infrastructure call. */
export function isInfraCall(req: IncomingMessage, pathname: string): boolean {
  return pathname === INFRA_RPC_PATH && req.method === 'POST';
}
