/**
 * `pods/<name>/exec` over Kubernetes' WebSocket streaming protocol, as kubectl 1.35 speaks it
 * (`v5.channel.k8s.io`; `v4.channel.k8s.io` for older clients): every binary message starts with its
 * channel — 0 stdin, 1 stdout, 2 stderr, 3 the final Status (exit code), 4 terminal resize — and with v5
 * the client closes stdin with `[255, 0]`. The command runs in the simulated shell (shell.ts) against the
 * container's view; an interactive shell (`sh`/`bash` with stdin) reads lines from stdin, echoing and
 * prompting like a terminal when a TTY is asked for.
 */
import type { ContainerView } from './container-view.ts';
import type { ShellOutput } from './shell.ts';
import { SimShell } from './shell.ts';
import type { WebSocketLike } from './websocket.ts';

/** The streaming protocols exec accepts, preferred first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** What the exec request asked for (its query parameters). */
export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Returns the exec options of a query (`command` repeated, `stdin`, `stdout`, `stderr`, `tty`). */
export function execRequestOf(query: URLSearchParams): ExecRequest {
  const flag = (n: string) => query.get(n) === 'true' || query.get(n) === '1';
  return {
    command: query.getAll('command'),
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
}

/** Returns the Status the error channel carries for an exit code. */
export function exitStatus(command: string[], code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function isInteractiveShell(command: string[]): boolean {
  const name = (command[0] ?? '').replace(/^\/(usr\/)?bin\//, '');
  return ['sh', 'bash', 'ash'].includes(name) && !command.includes('-c');
}

/** Runs one exec session on an upgraded WebSocket. */
export function serveExec(
  ws: WebSocketLike,
  view: ContainerView,
  request: ExecRequest,
  now: () => number,
): void {
  const send = (channel: number, text: string | Buffer) => {
    const data =
      typeof text === 'string' ? Buffer.from(request.tty ? text.replace(/\r?\n/g, '\r\n') : text) : text;
    ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const out: ShellOutput = {
    stdout: (t) => {
      if (request.stdout) send(STDOUT, t);
    },
    // With a TTY there is one output stream, as on a terminal.
    stderr: (t) => {
      if (request.tty && request.stdout) send(STDOUT, t);
      else if (request.stderr) send(STDERR, t);
    },
  };
  let finished = false;
  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    ws.send(
      Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(exitStatus(request.command, code)))]),
    );
    ws.close(1000);
  };
  // The kubelet's first message: an empty frame on the lowest writable channel says the streams are up.
  ws.send(Buffer.from([request.stdout ? STDOUT : request.stderr ? STDERR : ERROR]));
  const shell = new SimShell(view, now);
  const catStdin =
    request.stdin && request.command.length === 1 && /(^|\/)cat$/.test(request.command[0] ?? '');
  if (!(request.stdin && (isInteractiveShell(request.command) || catStdin))) {
    finish(shell.runArgv(request.command, out));
    ws.on('message', () => undefined);
    return;
  }
  const bash = (request.command[0] ?? '').endsWith('bash');
  const prompt = () => {
    if (request.tty) send(STDOUT, bash ? `root@${view.hostname}:${shell.cwd}# ` : `${shell.cwd} # `);
  };
  let line = '';
  const runLine = (text: string) => {
    if (catStdin) {
      out.stdout(`${text}\n`);
      return;
    }
    shell.runScript(text, out);
    if (shell.exited !== undefined) finish(shell.exited);
    else prompt();
  };
  prompt();
  ws.on('message', (raw: Buffer) => {
    if (finished || raw.length === 0) return;
    const channel = raw[0];
    const data = raw.subarray(1);
    if (channel === CLOSE) {
      if (data[0] === STDIN) {
        if (line !== '') runLine(line);
        finish(shell.exited ?? (catStdin ? 0 : shell.lastStatus));
      }
      return;
    }
    if (channel === RESIZE || channel !== STDIN) return;
    for (const ch of data.toString('utf8')) {
      if (request.tty) {
        if (ch === '\x04' && line === '') return finish(shell.lastStatus);
        if (ch === '\x03') {
          send(STDOUT, '^C\n');
          line = '';
          prompt();
          continue;
        }
        if (ch === '\x7f' || ch === '\b') {
          if (line !== '') {
            line = line.slice(0, -1);
            send(STDOUT, '\b \b');
          }
          continue;
        }
        send(STDOUT, ch === '\r' ? '\n' : ch);
      }
      if (ch === '\r' || ch === '\n') {
        const text = line;
        line = '';
        runLine(text);
        if (finished) return;
      } else line += ch;
    }
  });
  ws.on('close', () => {
    finished = true;
  });
}
