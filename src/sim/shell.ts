/**
 * The simulated container's shell: the small, documented set of commands `kubectl exec` can run against a
 * container's view (container-view.ts) — `env`, `printenv`, `cat`, `ls`, `hostname`, `echo`, `date`, `pwd`,
 * `cd`, `whoami`, `id`, `uname`, `true`, `false`, `exit`, `sleep` (returns at once) and `sh`/`bash -c
 * '<script>'` with `;`, `&&`, `||`, quotes and `$VAR` expansion. Any other command exits 127 with
 * `sh: <cmd>: not found`; pipes and redirections are refused (exit 2). The file system is read-only.
 */
import type { ContainerView } from './container-view.ts';

/** Where a command writes. */
export interface ShellOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A shell session over one container view (keeps the working directory and last exit code). */
export class SimShell {
  cwd = '/';
  lastStatus = 0;
  /** Set by `exit`: the session ends with this code. */
  exited: number | undefined;

  constructor(
    private readonly view: ContainerView,
    private readonly now: () => number,
  ) {}

  private envValue(name: string): string | undefined {
    if (name === '?') return String(this.lastStatus);
    if (name === 'PWD') return this.cwd;
    return this.view.env.find(([k]) => k === name)?.[1];
  }

  /** Runs an argv (what exec's `command` parameters name); returns the exit code. */
  runArgv(argv: string[], out: ShellOutput): number {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return 0;
    const name = cmd.replace(/^\/(usr\/)?(s?bin)\//, '');
    if ((name === 'sh' || name === 'bash' || name === 'ash') && args[0] === '-c') {
      return this.runScript(args[1] ?? '', out);
    }
    const status = this.builtin(name, args, out);
    this.lastStatus = status;
    return status;
  }

  /** Runs a script (`sh -c` text, or a line typed into an interactive shell); returns the last exit code. */
  runScript(script: string, out: ShellOutput): number {
    let parsed: ParsedCommand[];
    try {
      parsed = parseScript(script, (n) => this.envValue(n));
    } catch (e) {
      out.stderr(`sh: ${(e as Error).message}\n`);
      this.lastStatus = 2;
      return 2;
    }
    let status = this.lastStatus;
    for (const c of parsed) {
      if (this.exited !== undefined) break;
      if (c.when === 'and' && status !== 0) continue;
      if (c.when === 'or' && status === 0) continue;
      if (c.argv.length === 0) continue;
      status = this.runArgv(c.argv, out);
      this.lastStatus = status;
    }
    return status;
  }

  private resolve(path: string): string {
    const abs = path.startsWith('/') ? path : `${this.cwd.replace(/\/$/, '')}/${path}`;
    const parts: string[] = [];
    for (const p of abs.split('/')) {
      if (p === '' || p === '.') continue;
      if (p === '..') parts.pop();
      else parts.push(p);
    }
    return `/${parts.join('/')}`;
  }

  private entries(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names = new Set<string>();
    for (const p of [...this.view.files.keys(), ...this.view.dirs]) {
      if (p.startsWith(prefix) && p !== dir) names.add(p.slice(prefix.length).split('/')[0]!);
    }
    return [...names].filter((n) => n).sort();
  }

  private builtin(name: string, args: string[], out: ShellOutput): number {
    const v = this.view;
    switch (name) {
      case 'echo': {
        const noNewline = args[0] === '-n';
        out.stdout(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
        return 0;
      }
      case 'printenv': {
        if (args.length === 0) {
          for (const [k, val] of v.env) out.stdout(`${k}=${val}\n`);
          return 0;
        }
        let status = 0;
        for (const a of args) {
          const val = v.env.find(([k]) => k === a)?.[1];
          if (val === undefined) status = 1;
          else out.stdout(`${val}\n`);
        }
        return status;
      }
      case 'env':
        for (const [k, val] of v.env) out.stdout(`${k}=${val}\n`);
        return 0;
      case 'hostname':
        out.stdout(`${v.hostname}\n`);
        return 0;
      case 'pwd':
        out.stdout(`${this.cwd}\n`);
        return 0;
      case 'whoami':
        out.stdout('root\n');
        return 0;
      case 'id':
        out.stdout('uid=0(root) gid=0(root) groups=0(root)\n');
        return 0;
      case 'uname':
        out.stdout(
          args.includes('-a')
            ? `Linux ${v.hostname} 6.8.0-1015-aws #16-Ubuntu SMP x86_64 GNU/Linux\n`
            : args.includes('-r')
              ? '6.8.0-1015-aws\n'
              : 'Linux\n',
        );
        return 0;
      case 'date':
        out.stdout(`${unixDate(this.now())}\n`);
        return 0;
      case 'true':
      case 'sleep':
        return 0;
      case 'false':
        return 1;
      case 'exit': {
        const code = args[0] === undefined ? this.lastStatus : Number.parseInt(args[0], 10);
        this.exited = Number.isFinite(code) ? code & 0xff : 2;
        return this.exited;
      }
      case 'cd': {
        const target = this.resolve(args[0] ?? '/root');
        if (!v.dirs.has(target)) {
          out.stderr(`sh: cd: can't cd to ${args[0] ?? '/root'}: No such file or directory\n`);
          return 2;
        }
        this.cwd = target;
        return 0;
      }
      case 'cat': {
        let status = 0;
        for (const a of args) {
          const path = this.resolve(a);
          const content = v.files.get(path);
          if (content !== undefined) out.stdout(content);
          else if (v.dirs.has(path)) {
            out.stderr(`cat: ${a}: Is a directory\n`);
            status = 1;
          } else {
            out.stderr(`cat: ${a}: No such file or directory\n`);
            status = 1;
          }
        }
        return status;
      }
      case 'ls': {
        const flags = args.filter((a) => a.startsWith('-')).join('');
        const paths = args.filter((a) => !a.startsWith('-'));
        const long = flags.includes('l');
        const all = flags.includes('a');
        const targets = paths.length > 0 ? paths : ['.'];
        let status = 0;
        for (const [i, a] of targets.entries()) {
          const path = this.resolve(a);
          if (v.files.has(path)) {
            out.stdout(long ? `${this.longLine(path, a)}\n` : `${a}\n`);
            continue;
          }
          if (!v.dirs.has(path)) {
            out.stderr(`ls: cannot access '${a}': No such file or directory\n`);
            status = 2;
            continue;
          }
          if (targets.length > 1) out.stdout(`${i > 0 ? '\n' : ''}${a}:\n`);
          const names = [...(all ? ['.', '..'] : []), ...this.entries(path)];
          for (const n of names) {
            const full = this.resolve(`${path}/${n}`);
            out.stdout(long ? `${this.longLine(full, n)}\n` : `${n}\n`);
          }
        }
        return status;
      }
      default:
        out.stderr(`sh: ${name}: not found\n`);
        return 127;
    }
  }

  private longLine(path: string, name: string): string {
    const content = this.view.files.get(path);
    const isDir = content === undefined;
    const size = isDir ? 4096 : Buffer.byteLength(content);
    const mode = isDir ? 'drwxr-xr-x' : '-rw-r--r--';
    return `${mode} ${isDir ? 2 : 1} root root ${String(size).padStart(5)} Jan  1 00:00 ${name}`;
  }
}

/** Returns a time as `date` prints it: `Sun Dec  6 23:50:00 UTC 2026`. */
export function unixDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** One command of a script and when it runs (always, after success, after failure). */
interface ParsedCommand {
  argv: string[];
  when: 'always' | 'and' | 'or';
}

/** Splits a script into commands: words with quotes, escapes and `$VAR` expanded; `;`, `&&`, `||`, newlines. */
export function parseScript(script: string, lookup: (name: string) => string | undefined): ParsedCommand[] {
  const commands: ParsedCommand[] = [];
  let argv: string[] = [];
  let word = '';
  let inWord = false;
  let when: ParsedCommand['when'] = 'always';
  const endWord = () => {
    if (inWord) argv.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (next: ParsedCommand['when']) => {
    endWord();
    commands.push({ argv, when });
    argv = [];
    when = next;
  };
  const expand = (i: number): [string, number] => {
    if (script[i + 1] === '{') {
      const close = script.indexOf('}', i + 2);
      if (close < 0) throw new Error('syntax error: bad substitution');
      return [lookup(script.slice(i + 2, close)) ?? '', close + 1];
    }
    const m = /^(\?|[A-Za-z_][A-Za-z0-9_]*)/.exec(script.slice(i + 1));
    if (!m) return ['$', i + 1];
    return [lookup(m[1]!) ?? '', i + 1 + m[1]!.length];
  };
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    if (ch === "'") {
      const close = script.indexOf("'", i + 1);
      if (close < 0) throw new Error('syntax error: unterminated quoted string');
      word += script.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (ch === '"') {
      inWord = true;
      i += 1;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '\\' && i + 1 < script.length && '"\\$`'.includes(script[i + 1]!)) {
          word += script[i + 1];
          i += 2;
        } else if (script[i] === '$') {
          const [value, next] = expand(i);
          word += value;
          i = next;
        } else {
          word += script[i];
          i += 1;
        }
      }
      if (i >= script.length) throw new Error('syntax error: unterminated quoted string');
      i += 1;
    } else if (ch === '\\' && i + 1 < script.length) {
      word += script[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === '$') {
      const [value, next] = expand(i);
      word += value;
      inWord = true;
      i = next;
    } else if (ch === ' ' || ch === '\t') {
      endWord();
      i += 1;
    } else if (ch === ';' || ch === '\n') {
      endCommand('always');
      i += 1;
    } else if (script.startsWith('&&', i)) {
      endCommand('and');
      i += 2;
    } else if (script.startsWith('||', i)) {
      endCommand('or');
      i += 2;
    } else if (
      ch === '|' ||
      ch === '>' ||
      ch === '<' ||
      ch === '&' ||
      ch === '`' ||
      ch === '(' ||
      ch === ')'
    ) {
      throw new Error(
        `'${ch}' (pipes, redirections, jobs and subshells) is not supported by the simulated shell`,
      );
    } else if (ch === '#' && !inWord) {
      while (i < script.length && script[i] !== '\n') i += 1;
    } else {
      word += ch;
      inWord = true;
      i += 1;
    }
  }
  endCommand('always');
  return commands.filter((c) => c.argv.length > 0);
}
