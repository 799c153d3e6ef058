/**
 * `kubectl exec` and `kubectl port-forward` against a simulated cluster with the real (pinned) kubectl, over
 * the streaming protocols kubectl 1.35 speaks (WebSocket `v5.channel.k8s.io`; SPDY/3.1 tunnelled through a
 * WebSocket for port-forward): command output, exit codes as kubectl reports them, an interactive shell on
 * stdin (and on a terminal, through `script`), and HTTP through a forwarded port.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

const NS = 'shell';
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${NS}}
data: {mode: fast, app.conf: "listen 8080\\n"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      volumes: [{name: conf, configMap: {name: settings}}]
      containers:
      - name: web
        image: ghcr.io/example/shop:3.4.1-alpine
        ports: [{containerPort: 8080}]
        volumeMounts: [{name: conf, mountPath: /etc/shop}]
        env:
        - {name: GREETING, value: hello}
        - name: MODE
          valueFrom: {configMapKeyRef: {name: settings, key: mode}}
        - name: MY_POD
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
      - name: sidecar
        image: busybox:1.36
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

describe('kubectl exec and port-forward', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let kubectlPath = '';
  let missing: string | null = null;
  let pod = '';

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    kubectlPath = found.path;
    fixture = await startFixture();
    await createReadyCluster(fixture.server, 'shell', 1);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig('shell', 'admin'));
    const applied = await kubectl.run(['apply', '-f', '-'], { input: MANIFEST });
    assert.equal(applied.code, 0, applied.stderr);
    const rolled = await kubectl.run(['rollout', 'status', 'deploy/web', '-n', NS, '--timeout=30s']);
    assert.equal(rolled.code, 0, rolled.stderr);
    pod = (await kubectl.run(['get', 'pods', '-n', NS, '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
  });

  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });

  const exec = (...args: string[]) => kubectl!.run(['exec', '-n', NS, pod, '-c', 'web', ...args]);

  test('kubectl exec POD -- hostname prints the pod name', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const r = await exec('--', 'hostname');
    assert.deepEqual([r.stdout, r.code], [`${pod}\n`, 0]);
    const defaulted = await kubectl!.run(['exec', '-n', NS, pod, '--', 'hostname']);
    assert.equal(defaulted.code, 0);
    assert.match(defaulted.stderr, /Defaulted container "web" out of: web, sidecar/);
  });

  test('the container environment resolves env, configMapKeyRef and fieldRef and has the service variables', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const env = await exec('--', 'env');
    assert.equal(env.code, 0);
    const lines = env.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    for (const want of [
      `HOSTNAME=${pod}`,
      'GREETING=hello',
      'MODE=fast',
      `MY_POD=${pod}`,
      'KUBERNETES_SERVICE_HOST=10.96.0.1',
      'KUBERNETES_SERVICE_PORT=443',
      'HOME=/root',
    ]) {
      assert.ok(lines.includes(want), `${want} in\n${env.stdout}`);
    }
    assert.ok(lines.some((l) => /^WEB_SERVICE_HOST=10\.96\.\d+\.\d+$/.test(l)));
    const printenv = await exec('--', 'printenv', 'MODE');
    assert.deepEqual([printenv.stdout, printenv.code], ['fast\n', 0]);
  });

  test('cat and ls read the container file system, mounted ConfigMaps included', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    assert.equal((await exec('--', 'cat', '/etc/hostname')).stdout, `${pod}\n`);
    assert.match((await exec('--', 'cat', '/etc/os-release')).stdout, /^NAME="Alpine Linux"$/m);
    assert.equal((await exec('--', 'cat', '/etc/shop/app.conf')).stdout, 'listen 8080\n');
    assert.match(
      (await exec('--', 'cat', '/etc/resolv.conf')).stdout,
      new RegExp(`^search ${NS}\\.svc\\.cluster\\.local`),
    );
    const ls = await exec('--', 'ls', '/etc');
    assert.equal(ls.code, 0);
    for (const f of ['hostname', 'hosts', 'os-release', 'resolv.conf', 'shop'])
      assert.ok(ls.stdout.split('\n').includes(f));
    const missingFile = await exec('--', 'cat', '/etc/nope');
    assert.equal(missingFile.code, 1);
    assert.match(missingFile.stderr, /cat: \/etc\/nope: No such file or directory/);
    assert.match(missingFile.stderr, /command terminated with exit code 1/);
  });

  test('exit codes travel on the status channel; unknown commands exit 127', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const script = await exec('--', 'sh', '-c', 'echo "a $GREETING" && false || echo b; exit 3');
    assert.equal(script.stdout, 'a hello\nb\n');
    assert.equal(script.code, 3);
    assert.match(script.stderr, /^command terminated with exit code 3$/m);
    const unknown = await exec('--', 'curl', 'localhost');
    assert.equal(unknown.code, 127);
    assert.match(unknown.stderr, /^sh: curl: not found$/m);
    assert.match(unknown.stderr, /^command terminated with exit code 127$/m);
    assert.match(
      (await exec('--', 'date')).stdout,
      /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n$/,
    );
  });

  test('kubectl exec -i runs a shell on stdin', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const r = await kubectl!.run(['exec', '-i', '-n', NS, pod, '-c', 'web', '--', 'sh'], {
      input: 'hostname\ncd /etc/shop\npwd\necho $MODE\nexit 4\n',
    });
    assert.equal(r.stdout, `${pod}\n/etc/shop\nfast\n`);
    assert.equal(r.code, 4);
    const eof = await kubectl!.run(['exec', '-i', '-n', NS, pod, '-c', 'web', '--', 'sh'], {
      input: 'echo bye\n',
    });
    assert.deepEqual([eof.stdout, eof.code], ['bye\n', 0]);
  });

  test('kubectl exec -it prompts and echoes on a terminal', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    if (
      !requireOrSkip(
        t,
        'script (util-linux)',
        spawnSync('script', ['--version']).status === 0 ? null : 'not installed',
      )
    )
      return;
    const command = `${kubectlPath} exec -it -n ${NS} ${pod} -c web -- sh`;
    const child = execFile('script', ['-qec', command, '/dev/null'], { env: kubectl!.env });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(() => out.includes('/ # '), 'the prompt');
      child.stdin?.write('hostname\r');
      await waitFor(() => out.includes(`${pod}\r\n`), 'the hostname');
      child.stdin?.write('exit 5\r');
      assert.equal(await exited, 5);
      assert.match(out, /\/ # hostname\r\n/);
      assert.match(out, /command terminated with exit code 5/);
    } finally {
      child.kill();
    }
  });

  test('kubectl port-forward pod/x reaches the app: / names the image, /healthz is ok', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const forward = kubectl!.spawn(['port-forward', '-n', NS, `pod/${pod}`, '18180:8080']);
    try {
      await waitFor(
        () => forward.output().includes('Forwarding from 127.0.0.1:18180 -> 8080'),
        'the listener',
      );
      const page = await httpGet(18180, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /image ghcr\.io\/example\/shop:3\.4\.1-alpine/);
      assert.deepEqual(await httpGet(18180, '/healthz'), { status: 200, body: 'ok\n' });
      const version = JSON.parse((await httpGet(18180, '/version')).body) as { version: string; pod: string };
      assert.deepEqual([version.version, version.pod], ['3.4.1-alpine', pod]);
      assert.equal((await httpGet(18180, '/missing')).status, 404);
      assert.match(forward.output(), /Handling connection for 18180/);
    } finally {
      forward.stop();
    }
  });

  test('kubectl port-forward svc/x forwards to a pod behind the service', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const forward = kubectl!.spawn(['port-forward', '-n', NS, 'svc/web', '18181:80']);
    try {
      await waitFor(
        () => forward.output().includes('Forwarding from 127.0.0.1:18181 -> 8080'),
        'the listener',
      );
      const page = await httpGet(18181, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, new RegExp(`Served by pod ${NS}/${pod}`));
    } finally {
      forward.stop();
    }
  });

  test('curl localhost:PORT through kubectl port-forward answers 200', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    if (!requireOrSkip(t, 'curl', spawnSync('curl', ['--version']).status === 0 ? null : 'no curl on PATH'))
      return;
    const forward = kubectl!.spawn(['port-forward', '-n', NS, 'deploy/web', '18184:8080']);
    try {
      await waitFor(
        () => forward.output().includes('Forwarding from 127.0.0.1:18184 -> 8080'),
        'the listener',
      );
      const curl = (path: string) =>
        new Promise<{ code: number; out: string }>((resolve) =>
          execFile('curl', ['-s', '-i', `http://localhost:18184${path}`], (error, stdout) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, out: String(stdout) }),
          ),
        );
      const health = await curl('/healthz');
      assert.equal(health.code, 0);
      assert.match(health.out, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(health.out, /\r\n\r\nok\n$/);
      const version = await curl('/version');
      assert.match(version.out, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(version.out, /"version":"3\.4\.1-alpine"/);
    } finally {
      forward.stop();
    }
  });

  test('a port nothing listens on is refused as a kubelet refuses it', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const forward = kubectl!.spawn(['port-forward', '-n', NS, `pod/${pod}`, '18182:9999']);
    try {
      await waitFor(
        () => forward.output().includes('Forwarding from 127.0.0.1:18182 -> 9999'),
        'the listener',
      );
      await httpGet(18182, '/').catch(() => undefined);
      await waitFor(() => /connect: connection refused/.test(forward.output()), 'the refusal');
      assert.match(
        forward.output(),
        /an error occurred forwarding 18182 -> 9999: error forwarding port 9999 to pod/,
      );
    } finally {
      forward.stop();
    }
  });

  test('the read-only kubeconfig may not exec or port-forward', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const ro = await kubectlSession(kubectlPath, fixture!.server.kubeconfig('shell', 'read-only'));
    try {
      const r = await ro.run(['exec', '-n', NS, pod, '-c', 'web', '--', 'hostname']);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `Error from server \\(Forbidden\\): pods "${pod}" is forbidden: User "read-only" cannot create resource "pods/exec" in API group "" in the namespace "${NS}"`,
        ),
      );
      const pf = await ro.run(['port-forward', '-n', NS, `pod/${pod}`, '18183:8080'], { timeoutMs: 20_000 });
      assert.equal(pf.code, 1);
      assert.match(
        pf.stderr,
        /error: error upgrading connection: pods "\S+" is forbidden: User "read-only" cannot create resource "pods\/portforward"/,
      );
    } finally {
      await ro.cleanup();
    }
  });
});
