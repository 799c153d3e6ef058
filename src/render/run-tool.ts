/**
 * Running a pinned tool (helm, kubectl) on untrusted content under limits: wall-clock time (killed with SIGKILL),
 * output size, address space (`ulimit -v`), an empty environment (no credentials of the server's, no kubeconfig,
 * Helm's cache and config in a private folder) and no network use Strata asks for. Its error text is kept: it is
 * what a user needs to fix their chart or kustomization.
 */
import { execFile } from 'node:child_process';
import { type ErrorDetails, StrataError, type StrataErrorCode } from '../core/errors.ts';

/** Limits of one tool run. */
export interface ToolLimits {
  timeoutMs: number;
  maxOutputBytes: number;
  /** Address space of the process, in MiB. */
  memoryMb: number;
}

/** Defaults: 30 s, 32 MiB of output, 2 GiB of address space. */
export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  timeoutMs: 30_000,
  maxOutputBytes: 32 * 1024 * 1024,
  memoryMb: 2048,
};

/** What a failure is reported as. */
export interface ToolFailure {
  code: StrataErrorCode;
  /** The sentence's start, e.g. `Pack podinfo@6.11.2: helm template failed`. */
  subject: string;
  details: ErrorDetails;
}

/** Runs `path args…` in `cwd` with `env`; returns its standard output, or throws `failure.code` with its error text. */
export function runTool(
  path: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; limits?: Partial<ToolLimits>; failure: ToolFailure },
): Promise<string> {
  const limits = { ...DEFAULT_TOOL_LIMITS, ...(options.limits ?? {}) };
  // `ulimit -v` caps the tool's memory (Go reserves address space lazily, so 2 GiB is plenty for a render).
  const script = `ulimit -v ${limits.memoryMb * 1024} 2>/dev/null; exec "$0" "$@"`;
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', script, path, ...args],
      {
        cwd: options.cwd,
        env: { PATH: '/usr/bin:/bin', ...options.env },
        timeout: limits.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: limits.maxOutputBytes,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        let reason: string;
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          reason = `its output passed ${limits.maxOutputBytes} bytes`;
        else if (e.killed || e.signal === 'SIGKILL')
          reason = `it took longer than ${limits.timeoutMs} ms and was stopped`;
        else reason = toolMessage(stderr) || e.message;
        reject(
          new StrataError(options.failure.code, `${options.failure.subject}: ${reason}`, {
            ...options.failure.details,
            tool: path.split('/').pop(),
          }),
        );
      },
    );
  });
}

/** Returns a tool's error output as one readable text (Helm and kubectl start theirs with `Error: `). */
function toolMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(WARNING|walk\.go)/.test(l));
  return lines
    .join(' ')
    .replace(/^Error: /, '')
    .slice(0, 4000);
}
