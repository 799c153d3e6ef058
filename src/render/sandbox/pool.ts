/**
 * A small pool of render workers. Untrusted pack content is only ever rendered here: each worker is a thread
 * with its own heap limit, each task has a CPU limit inside the worker and a wall-clock watchdog outside it, and
 * a worker that overruns or runs out of memory is killed and replaced — the server's own thread only waits for
 * an answer, so one render never blocks other requests.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StrataError } from '../../core/errors.ts';
import type { AnswerMessage, RenderedTemplate, SandboxTask, SandboxTaskInput, TaskLimits } from './tasks.ts';

/** How much one render may use, and how many may run at once. */
export interface SandboxOptions {
  /** Worker threads (default: the machine's cores, at most 4). */
  workers: number;
  /** Heap one worker may use, in MiB; a render past it kills the worker. */
  maxHeapMb: number;
  /** Wall-clock time one task may take, whatever it does. */
  taskTimeoutMs: number;
  /** Tasks waiting for a worker beyond which new ones are refused (`Unavailable`). */
  maxQueued: number;
  limits: TaskLimits;
}

/** Options as callers give them: any subset, limits too. */
export type SandboxSettings = Partial<Omit<SandboxOptions, 'limits'>> & { limits?: Partial<TaskLimits> };

/** Defaults: 2 s of CPU per template, 10 s per task, 256 MiB per worker, 16 MiB and 10,000 objects of output. */
export const DEFAULT_SANDBOX_OPTIONS: SandboxOptions = {
  workers: Math.min(4, Math.max(1, availableParallelism())),
  maxHeapMb: 256,
  taskTimeoutMs: 10_000,
  maxQueued: 10_000,
  limits: { timeoutMs: 2_000, maxOutputBytes: 16 * 1024 * 1024, maxDocuments: 10_000 },
};

interface Job {
  id: number;
  task: SandboxTask;
  resolve: (templates: RenderedTemplate[]) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  watchdog: NodeJS.Timeout | null;
  /** Template sets this worker was sent (it keeps them; the sources need not travel again). */
  known: Set<string>;
}

// The worker module sits beside this one, with this module's extension (.ts from a clone, .js once built). Worker
// threads do not inherit tsx's loader, so from a clone the worker registers it before importing its module.
const WORKER_EXTENSION = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./worker${WORKER_EXTENSION}`, import.meta.url);
const WORKER_SOURCE =
  WORKER_EXTENSION === '.ts'
    ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`
    : null;

/** Counters a benchmark or a test reads. */
export interface SandboxStats {
  tasks: number;
  killed: number;
  workersStarted: number;
}

/** Runs sandbox tasks on worker threads under limits. */
export class SandboxPool {
  readonly options: SandboxOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  readonly stats: SandboxStats = { tasks: 0, killed: 0, workersStarted: 0 };

  constructor(options: SandboxSettings = {}) {
    this.options = {
      ...DEFAULT_SANDBOX_OPTIONS,
      ...options,
      limits: { ...DEFAULT_SANDBOX_OPTIONS.limits, ...(options.limits ?? {}) },
    };
  }

  /** Returns the rendered documents of a task, or rejects with the task's error (a `StrataError`). */
  run(task: SandboxTaskInput): Promise<RenderedTemplate[]> {
    if (this.#closed)
      return Promise.reject(new StrataError('Unavailable', 'The render workers are shut down.'));
    if (this.#queue.length >= this.options.maxQueued) {
      return Promise.reject(
        new StrataError('Unavailable', `${this.#queue.length} renders are waiting; try again shortly.`, {
          queued: this.#queue.length,
        }),
      );
    }
    const full = { ...task, limits: { ...this.options.limits, ...(task.limits ?? {}) } } as SandboxTask;
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task: full, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; pending tasks are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0))
      job.reject(new StrataError('Unavailable', 'The render workers are shut down.'));
    await Promise.all(
      this.#slots.splice(0).map(async (slot) => {
        if (slot.watchdog) clearTimeout(slot.watchdog);
        slot.job?.reject(new StrataError('Unavailable', 'The render workers are shut down.'));
        await slot.worker.terminate();
      }),
    );
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.job === null);
      if (!slot) {
        if (this.#slots.length >= this.options.workers) return;
        slot = this.#start();
      }
      const job = this.#queue.shift()!;
      this.#assign(slot, job);
    }
  }

  #start(): Slot {
    const worker = new Worker(WORKER_SOURCE ?? WORKER_URL, {
      eval: WORKER_SOURCE !== null,
      resourceLimits: {
        maxOldGenerationSizeMb: this.options.maxHeapMb,
        maxYoungGenerationSizeMb: Math.max(8, Math.floor(this.options.maxHeapMb / 8)),
        stackSizeMb: 4,
      },
      stdout: false,
      stderr: false,
    });
    this.stats.workersStarted += 1;
    const slot: Slot = { worker, job: null, watchdog: null, known: new Set() };
    worker.on('message', (message: AnswerMessage) => {
      const job = slot.job;
      if (!job || job.id !== message.id) return;
      this.#release(slot);
      if (message.answer.ok) job.resolve(message.answer.templates);
      else if (message.answer.error.details.needTemplates === true && job.task.type === 'strata') {
        // The worker dropped that set: send the sources again.
        if (job.task.type === 'strata') slot.known.delete(job.task.templatesKey);
        this.#queue.unshift(job);
        this.#dispatch();
      } else {
        const e = message.answer.error;
        job.reject(new StrataError(e.code, e.message, e.details));
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const job = slot.job;
      this.#drop(slot);
      if (job) {
        job.reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? this.#killedError(job.task, `used more than ${this.options.maxHeapMb} MiB of memory`)
            : this.#killedError(job.task, `stopped the render worker (${error.message})`),
        );
      }
    });
    worker.on('exit', () => {
      const job = slot.job;
      this.#drop(slot);
      job?.reject(this.#killedError(job.task, 'stopped the render worker'));
    });
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  #assign(slot: Slot, job: Job): void {
    slot.job = job;
    this.stats.tasks += 1;
    slot.worker.ref();
    slot.watchdog = setTimeout(() => {
      // Past the wall-clock limit the worker is killed, whatever it is doing; a fresh one takes the next task.
      slot.job = null;
      this.#drop(slot);
      this.stats.killed += 1;
      void slot.worker.terminate();
      job.reject(this.#killedError(job.task, `took longer than ${this.options.taskTimeoutMs} ms`));
    }, this.options.taskTimeoutMs);
    let task = job.task;
    if (task.type === 'strata') {
      if (slot.known.has(task.templatesKey)) task = { ...task, templates: [] };
      else slot.known.add(task.templatesKey);
    }
    slot.worker.postMessage({ id: job.id, task });
  }

  #release(slot: Slot): void {
    if (slot.watchdog) clearTimeout(slot.watchdog);
    slot.watchdog = null;
    slot.job = null;
    slot.worker.unref();
    this.#dispatch();
  }

  #drop(slot: Slot): void {
    if (slot.watchdog) clearTimeout(slot.watchdog);
    slot.watchdog = null;
    const index = this.#slots.indexOf(slot);
    if (index >= 0) {
      this.#slots.splice(index, 1);
      if (slot.job) this.stats.killed += 1;
    }
    slot.job = null;
    queueMicrotask(() => this.#dispatch());
  }

  #killedError(task: SandboxTask, what: string): StrataError {
    if (task.type === 'strata' || task.type === 'schema') {
      const [pack, version] = task.pack.split('@');
      return new StrataError(
        task.type === 'schema' ? 'ValuesSchemaViolation' : 'TemplateRenderFailed',
        `Pack ${task.pack}: ${task.type === 'schema' ? 'checking values against its schema' : 'rendering'} ${what} and was stopped.`,
        { pack, version, limit: what },
      );
    }
    return new StrataError(
      task.code,
      `${task.texts[0]?.subject ?? 'Reading YAML'} YAML whose reading ${what} and was stopped.`,
      {
        limit: what,
      },
    );
  }
}
