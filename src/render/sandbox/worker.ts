/**
 * A render worker: a thread that renders untrusted pack content (Nunjucks templates in a code-free context,
 * YAML reading under limits) one task at a time and answers with plain data. Started and watched by pool.ts,
 * which kills it when a task overruns its time and replaces it when it runs out of memory.
 */
import { parentPort } from 'node:worker_threads';
import { type Schema, Validator } from '@cfworker/json-schema';
import { isStrataError, StrataError } from '../../core/errors.ts';
import { firstLine, parseDocuments } from './documents.ts';
import type {
  AnswerMessage,
  RenderedTemplate,
  SandboxAnswer,
  SchemaTask,
  StrataRenderTask,
  TaskLimits,
  TaskMessage,
  YamlTask,
} from './tasks.ts';
import { type TemplateOutcome, TemplateSandbox } from './templates.ts';

/** Templates one context may hold before the worker starts a fresh one (keeps memory bounded). */
const TEMPLATES_PER_CONTEXT = 2000;

let sandbox: TemplateSandbox | undefined;

function currentSandbox(): TemplateSandbox {
  if (!sandbox || sandbox.size >= TEMPLATES_PER_CONTEXT) sandbox = new TemplateSandbox();
  return sandbox;
}

/** Returns the error of a failed template, naming pack, template and line and quoting the line. */
function templateError(
  task: StrataRenderTask,
  template: { name: string; source: string },
  outcome: Extract<TemplateOutcome, { ok: false }> & { wrapped?: boolean },
): StrataError {
  // Nunjucks reports syntax and undefined-output errors with 1-based lines, but the runtime errors it wraps with
  // the 0-based line of the call; line 0 and column 0 mean "unknown".
  let line: number | null = null;
  if (outcome.lineno !== null && (outcome.lineno > 0 || (outcome.colno ?? 0) > 0)) {
    line = outcome.wrapped ? outcome.lineno + 1 : outcome.lineno;
  }
  const reason =
    outcome.message
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^\(.*\)( \[Line \d+.*\])?$/.test(l))
      .pop() ?? outcome.message;
  const source = template.source.split('\n');
  const quoted = line !== null && source[line - 1] ? ` (\`${source[line - 1]!.trim().slice(0, 120)}\`)` : '';
  const what = outcome.phase === 'parse' ? 'does not parse' : 'does not render';
  const [name, version] = task.pack.split('@');
  return new StrataError(
    'TemplateRenderFailed',
    `Pack ${task.pack}: template ${template.name} ${what}${line !== null ? ` at line ${line}` : ''}${quoted}: ${reason.replace(/^(Error|TypeError|RangeError|EvalError): /, '').replace(/\.$/, '')}.`,
    { pack: name, version, template: template.name, field: `templates.${template.name}`, line },
  );
}

/** Template sets seen, by key: the server sends a set's sources once per worker (bounded, oldest dropped). */
const templateSets = new Map<string, StrataRenderTask['templates']>();
const TEMPLATE_SETS = 500;

/**
 * Documents of a template's output text, by text: across a fleet the same values render the same text, and most
 * of a pack's templates render the same text for different values — each distinct text is read once. Bounded.
 */
const parsedOutputs = new Map<string, unknown[]>();
const PARSED_OUTPUTS = 4096;

/** The answer when the server sent no sources for a set this worker does not know (it sends them again). */
export const NEED_TEMPLATES = 'NeedTemplates';

function renderStrata(task: StrataRenderTask, limits: TaskLimits): RenderedTemplate[] {
  let templates = task.templates;
  if (templates.length > 0) {
    templateSets.set(task.templatesKey, templates);
    if (templateSets.size > TEMPLATE_SETS) templateSets.delete(templateSets.keys().next().value as string);
  } else {
    const known = templateSets.get(task.templatesKey);
    if (!known) throw new StrataError('Internal', NEED_TEMPLATES, { needTemplates: true });
    templates = known;
  }
  const box = currentSandbox();
  const out: RenderedTemplate[] = [];
  let bytes = 0;
  let documents = 0;
  const keys = templates.map((t) => `${task.templatesKey}/${t.name}`);
  for (const [i, template] of templates.entries()) {
    const failed = box.load(keys[i]!, template, limits.timeoutMs);
    if (failed && !failed.ok) throw templateError(task, template, failed);
  }
  const outcomes = box.renderAll(keys, task.variables, limits.timeoutMs);
  for (const [i, template] of templates.entries()) {
    const key = keys[i]!;
    const outcome = outcomes[i];
    if (!outcome)
      throw new StrataError(
        'TemplateRenderFailed',
        `Pack ${task.pack}: template ${template.name} gave no output.`,
        {},
      );
    if (!outcome.ok) throw templateError(task, template, outcome);
    bytes += Buffer.byteLength(outcome.text);
    if (bytes > limits.maxOutputBytes) {
      throw new StrataError(
        'TemplateRenderFailed',
        `Pack ${task.pack}: template ${template.name} renders more than ${limits.maxOutputBytes} bytes in all; the output was refused.`,
        {
          pack: task.pack,
          template: template.name,
          field: `templates.${template.name}`,
          limit: limits.maxOutputBytes,
        },
      );
    }
    const cacheKey = `${key}\u0000${outcome.text}`;
    let docs = parsedOutputs.get(cacheKey);
    if (docs) {
      parsedOutputs.delete(cacheKey);
      parsedOutputs.set(cacheKey, docs);
    } else {
      docs = parseDocuments(
        outcome.text,
        {
          subject: `Pack ${task.pack}: template ${template.name} renders`,
          code: 'TemplateRenderFailed',
          details: { pack: task.pack, template: template.name, field: `templates.${template.name}` },
        },
        limits.maxDocuments - documents,
      );
      parsedOutputs.set(cacheKey, docs);
      if (parsedOutputs.size > PARSED_OUTPUTS)
        parsedOutputs.delete(parsedOutputs.keys().next().value as string);
    }
    if (documents + docs.length > limits.maxDocuments) {
      throw new StrataError(
        'TemplateRenderFailed',
        `Pack ${task.pack}: renders more than ${limits.maxDocuments} objects.`,
        {
          pack: task.pack,
          limit: limits.maxDocuments,
        },
      );
    }
    documents += docs.length;
    out.push({ name: template.name, documents: docs });
  }
  return out;
}

function readYaml(task: YamlTask, limits: TaskLimits): RenderedTemplate[] {
  const out: RenderedTemplate[] = [];
  let documents = 0;
  let bytes = 0;
  for (const [index, item] of task.texts.entries()) {
    bytes += Buffer.byteLength(item.text);
    if (bytes > limits.maxOutputBytes) {
      throw new StrataError(
        task.code,
        `${item.subject} more than ${limits.maxOutputBytes} bytes of YAML in all.`,
        {
          ...item.details,
          limit: limits.maxOutputBytes,
        },
      );
    }
    const docs = parseDocuments(
      item.text,
      { subject: item.subject, code: task.code, details: item.details },
      limits.maxDocuments - documents,
    );
    documents += docs.length;
    out.push({ name: String(index), documents: docs });
  }
  return out;
}

/** Returns the violations of values against a schema, as `{path, message}` documents (most specific first). */
function checkSchema(task: SchemaTask): RenderedTemplate[] {
  let schema: unknown;
  try {
    schema = JSON.parse(task.schema);
  } catch (error) {
    throw new StrataError(
      'PackInvalid',
      `${task.pack}: values.schema.json is not JSON: ${firstLine(error)}`,
      {},
    );
  }
  const validator = new Validator(schema as Schema, '2020-12', false);
  const result = validator.validate(JSON.parse(task.values));
  // Keep the leaf errors: "properties do not match" wrappers add nothing a user can act on.
  const leaves = result.errors.filter(
    (e) =>
      !['properties', 'allOf', 'anyOf', 'items', 'additionalProperties', '$ref'].includes(e.keyword) ||
      result.errors.length === 1,
  );
  const documents = (leaves.length > 0 ? leaves : result.errors).slice(0, 50).map((e) => ({
    path: e.instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).join('.'),
    message: e.error,
  }));
  return [{ name: 'violations', documents }];
}

function answer(message: TaskMessage): SandboxAnswer {
  const { task } = message;
  try {
    const templates =
      task.type === 'strata'
        ? renderStrata(task, task.limits)
        : task.type === 'schema'
          ? checkSchema(task)
          : readYaml(task, task.limits);
    return { ok: true, templates };
  } catch (error) {
    if (isStrataError(error)) return { ok: false, error: error.toJSON() };
    const code =
      task.type === 'yaml'
        ? task.code
        : task.type === 'schema'
          ? 'ValuesSchemaViolation'
          : 'TemplateRenderFailed';
    return {
      ok: false,
      error: {
        code,
        message: `${task.type === 'yaml' ? 'The content' : `Pack ${task.pack}`} cannot be rendered: ${firstLine(error)}`,
        details: {},
      },
    };
  }
}

parentPort?.on('message', (message: TaskMessage) => {
  const reply: AnswerMessage = { id: message.id, answer: answer(message) };
  parentPort!.postMessage(reply);
});
