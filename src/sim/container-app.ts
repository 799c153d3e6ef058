/**
 * The app a simulated container runs, as port-forward reaches it: a small HTTP/1.1 server on the
 * container's declared ports (80 and 8080 when it declares none) answering `GET /` with a page naming the
 * image and the pod, `/healthz` (also `/livez`, `/readyz`, `/health`) with `ok`, and `/version` with the
 * image and version as JSON; anything else is 404. Requests are parsed from the forwarded byte stream
 * (Content-Length bodies; keep-alive honoured).
 */
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';

function containers(pod: KubeObject): Record<string, unknown>[] {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {};
  return Array.isArray(spec['containers']) ? spec['containers'].filter(isJsonObject) : [];
}

function declaredPorts(pod: KubeObject): { port: number; container: Record<string, unknown> }[] {
  return containers(pod).flatMap((c) =>
    (Array.isArray(c['ports']) ? c['ports'].filter(isJsonObject) : [])
      .filter((p) => typeof p['containerPort'] === 'number' && (p['protocol'] ?? 'TCP') === 'TCP')
      .map((p) => ({ port: p['containerPort'] as number, container: c })),
  );
}

/** Returns the container serving a port of a running pod, if one listens there. */
function containerOnPort(pod: KubeObject, port: number): Record<string, unknown> | undefined {
  const status = isJsonObject(pod['status']) ? pod['status'] : {};
  if (status['phase'] !== 'Running') return undefined;
  const declared = declaredPorts(pod);
  if (declared.length > 0) return declared.find((d) => d.port === port)?.container;
  return port === 80 || port === 8080 ? containers(pod)[0] : undefined;
}

/** True when a running pod's app listens on `port`. */
export function appListensOn(pod: KubeObject, port: number): boolean {
  return containerOnPort(pod, port) !== undefined;
}

interface AppResponse {
  status: number;
  type: string;
  body: string;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  404: 'Not Found',
  405: 'Method Not Allowed',
  400: 'Bad Request',
};

/** Returns the app's answer to one request. */
export function appAnswer(pod: KubeObject, port: number, method: string, target: string): AppResponse {
  const container = containerOnPort(pod, port) ?? {};
  const image = String(container['image'] ?? '');
  const app = image.split('/').pop()?.split(':')[0] ?? 'app';
  const version = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : 'latest';
  const path = target.split('?')[0] ?? '/';
  if (method !== 'GET' && method !== 'HEAD')
    return { status: 405, type: 'text/plain; charset=utf-8', body: 'method not allowed\n' };
  if (['/healthz', '/livez', '/readyz', '/health'].includes(path))
    return { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' };
  if (path === '/version') {
    return {
      status: 200,
      type: 'application/json',
      body: `${JSON.stringify({ app, version, image, pod: pod.metadata.name, namespace: pod.metadata.namespace, container: container['name'] })}\n`,
    };
  }
  if (path === '/' || path === '/index.html') {
    return {
      status: 200,
      type: 'text/html; charset=utf-8',
      body: `<!DOCTYPE html>\n<html>\n<head><title>${app} ${version}</title></head>\n<body>\n<h1>${app} ${version}</h1>\n<p>Served by pod ${pod.metadata.namespace}/${pod.metadata.name}, container ${String(container['name'] ?? '')}, image ${image}.</p>\n</body>\n</html>\n`,
    };
  }
  return { status: 404, type: 'text/plain; charset=utf-8', body: '404 page not found\n' };
}

/** One forwarded TCP connection to the app: bytes in, HTTP responses out. */
export class ContainerHttpConnection {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    private readonly pod: KubeObject,
    private readonly port: number,
    private readonly now: () => number,
    private readonly write: (bytes: Buffer) => void,
  ) {}

  /** Feeds bytes from the client; answers every complete request. */
  receive(bytes: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, bytes]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      const [requestLine = '', ...headerLines] = head.split('\r\n');
      const length = Number(/^content-length:\s*(\d+)/im.exec(headerLines.join('\n'))?.[1] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      this.buffer = this.buffer.subarray(end + 4 + length);
      const [method = '', target = '/'] = requestLine.split(' ');
      const answer = /^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(requestLine)
        ? appAnswer(this.pod, this.port, method, target)
        : { status: 400, type: 'text/plain; charset=utf-8', body: 'bad request\n' };
      const body = Buffer.from(answer.body);
      const head2 = [
        `HTTP/1.1 ${answer.status} ${REASONS[answer.status] ?? ''}`,
        `Content-Type: ${answer.type}`,
        `Content-Length: ${body.length}`,
        `Date: ${new Date(this.now()).toUTCString()}`,
        '',
        '',
      ].join('\r\n');
      this.write(Buffer.concat([Buffer.from(head2, 'latin1'), method === 'HEAD' ? Buffer.alloc(0) : body]));
    }
  }
}
