/**
 * `pods/<name>/portforward` as kubectl 1.35 speaks it: SPDY/3.1 tunnelled through a WebSocket
 * (`SPDY/3.1+portforward.k8s.io`), two streams per forwarded connection (`streamType` error and data, with
 * `port` and `requestID` headers). Behind each data stream answers the container's simulated app
 * (container-app.ts) when the port is one the container listens on; otherwise the error stream carries the
 * kubelet's "connection refused" message, as on a real node.
 */
import { appListensOn, ContainerHttpConnection } from './container-app.ts';
import type { KubeObject } from './kube-object.ts';
import type { SimCluster } from './sim-cluster.ts';
import type { SpdyStream } from './spdy.ts';
import { SpdyServerSession } from './spdy.ts';
import type { WebSocketLike } from './websocket.ts';

/** The subprotocols port-forward accepts (SPDY tunnelled over WebSocket). */
export const PORTFORWARD_PROTOCOLS = ['SPDY/3.1+portforward.k8s.io'];

/** Returns the ports a port-forward request names (`ports=8080`, repeated or comma-separated). */
export function portForwardPortsOf(query: URLSearchParams): number[] {
  return query
    .getAll('ports')
    .flatMap((p) => p.split(','))
    .map((p) => Number(p))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
}

interface ForwardedConnection {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** Serves one port-forward session on an upgraded WebSocket. */
export function servePortForward(
  ws: WebSocketLike,
  cluster: SimCluster,
  pod: KubeObject,
  _ports: number[],
): void {
  const connections = new Map<string, ForwardedConnection>();
  const session = new SpdyServerSession(
    (data) => ws.send(data),
    (stream) => {
      const requestId = stream.headers.get('requestid') ?? '';
      const port = Number(stream.headers.get('port') ?? '');
      const type = stream.headers.get('streamtype');
      const entry = connections.get(requestId) ?? {};
      connections.set(requestId, entry);
      if (type === 'error') {
        entry.error = stream;
        // kubectl never writes to the error stream; it reads it until the server closes it.
        stream.onEnd = () => undefined;
        return;
      }
      if (type !== 'data') {
        session.reset(stream.id);
        return;
      }
      entry.data = stream;
      const current = cluster.store.get('/pods', pod.metadata.namespace, pod.metadata.name);
      if (!current || current.metadata.uid !== pod.metadata.uid || !appListensOn(current, port)) {
        entry.error?.write(
          Buffer.from(
            `error forwarding port ${port} to pod ${pod.metadata.uid ?? ''}, uid : failed to connect to localhost:${port} inside namespace "${pod.metadata.uid ?? ''}", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: connect: connection refused `,
          ),
        );
        entry.error?.end();
        stream.end();
        connections.delete(requestId);
        return;
      }
      const http = new ContainerHttpConnection(
        current,
        port,
        () => cluster.now(),
        (bytes) => stream.write(bytes),
      );
      stream.onData = (bytes) => http.receive(bytes);
      stream.onEnd = () => {
        stream.end();
        entry.error?.end();
        connections.delete(requestId);
      };
    },
    () => ws.close(1000),
  );
  ws.on('message', (data) => session.receive(Buffer.isBuffer(data) ? data : Buffer.from(data)));
  ws.on('close', () => session.close());
  ws.on('error', () => session.close());
}
