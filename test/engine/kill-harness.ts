/**
 * The kill -9 tests' harness: runs a child Strata process (a script under `children/`) that prints `READY` once
 * it is working, `STATE …` whenever its scenario moves on, and `DONE …` when the scenario is complete; kills it
 * with SIGKILL at a random moment tied to that progress — shortly after the 1st, 2nd or 3rd `STATE` line of the
 * run — not to the clock, since a fast machine finishes a whole scenario within a second.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** A child's exit: its code (null when killed) and everything it printed. */
export interface ChildExit {
  code: number | null;
  output: string;
}

/** Starts `script` with `args`; resolves once it printed `READY`. `onState` hears each later `STATE` line. */
export function startChild(
  script: string,
  args: readonly string[],
  onState: () => void = () => {},
): Promise<{ child: ChildProcess; done: Promise<ChildExit> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const done = new Promise<ChildExit>((resolve) => {
    child.on('exit', (code) => resolve({ code, output }));
  });
  return new Promise((resolve, reject) => {
    let partial = '';
    child.stdout?.on('data', (d: Buffer) => {
      const text = d.toString();
      output += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('STATE ')) onState();
      if (output.includes('READY')) resolve({ child, done });
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    void done.then(({ code }) => reject(new Error(`child exited (${code}) before READY:\n${output}`)));
  });
}

/**
 * Runs `script` once and kills it 0–150 ms after a random one of its first three `STATE` lines; resolves with
 * how it ended and a line saying when it was killed (it may have printed `DONE` first).
 */
export async function runAndKill(
  script: string,
  args: readonly string[],
): Promise<ChildExit & { when: string }> {
  const killAfterStates = 1 + Math.floor(Math.random() * 3);
  const delay = Math.floor(Math.random() * 150);
  let states = 0;
  let timer: NodeJS.Timeout | undefined;
  let victim: ChildProcess | undefined;
  const { child, done } = await startChild(script, args, () => {
    states += 1;
    if (states === killAfterStates) timer = setTimeout(() => victim?.kill('SIGKILL'), delay);
  });
  victim = child;
  const result = await done;
  clearTimeout(timer);
  return {
    ...result,
    when: `killed ${delay} ms after state change ${killAfterStates} (${result.output.split('\n')[0]})`,
  };
}
