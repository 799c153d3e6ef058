/**
 * The work a render worker does, as messages: what the server sends and what comes back. Everything here is
 * plain data (structured-cloned between threads); errors come back as `{code, message, details}`.
 */
import type { ErrorDetails, StrataErrorCode } from '../../core/errors.ts';
import type { TemplateSource } from './templates.ts';

/** Limits of one task, enforced in the worker (the pool adds a wall-clock watchdog and the heap limit). */
export interface TaskLimits {
  /** CPU time one render (all of a pack's templates, or one parse) may take. */
  timeoutMs: number;
  /** Bytes of text one task may produce in all. */
  maxOutputBytes: number;
  /** YAML documents (objects) one task may produce. */
  maxDocuments: number;
}

/** Render a Strata-format pack's templates with one set of variables, and read their YAML output. */
export interface StrataRenderTask {
  type: 'strata';
  /** `name@version`, for messages. */
  pack: string;
  /** Identifies the template set (a content digest), so a worker compiles each set once. */
  templatesKey: string;
  templates: TemplateSource[];
  /** `{values, profile, pack}` as JSON text. */
  variables: string;
}

/** Read multi-document YAML into JSON documents (a chart's rendered output, manifest files). */
export interface YamlTask {
  type: 'yaml';
  /** Texts to read, each with the subject its errors name. */
  texts: Array<{ text: string; subject: string; details: ErrorDetails }>;
  code: StrataErrorCode;
}

/**
 * Check values against a chart's `values.schema.json` (JSON Schema, interpreted — no code is generated from the
 * schema). The answer's one "template" holds the violations as documents `{path, message}`.
 */
export interface SchemaTask {
  type: 'schema';
  /** `Pack podinfo@6.11.2`, for messages. */
  pack: string;
  schema: string;
  /** The values as JSON text. */
  values: string;
}

/** A task as callers give it: its limits default to the pool's. */
export type SandboxTaskInput = (StrataRenderTask | YamlTask | SchemaTask) & { limits?: Partial<TaskLimits> };

/** Any task, with its limits. */
export type SandboxTask = (StrataRenderTask | YamlTask | SchemaTask) & { limits: TaskLimits };

/** The documents of one template (or one text), in order. */
export interface RenderedTemplate {
  name: string;
  documents: unknown[];
}

/** What a task gives back. */
export type SandboxAnswer =
  | { ok: true; templates: RenderedTemplate[] }
  | { ok: false; error: { code: StrataErrorCode; message: string; details: ErrorDetails } };

/** A message to a worker. */
export interface TaskMessage {
  id: number;
  task: SandboxTask;
}

/** A worker's reply. */
export interface AnswerMessage {
  id: number;
  answer: SandboxAnswer;
}
