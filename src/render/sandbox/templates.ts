/**
 * Nunjucks templates of Strata-format packs, rendered where they cannot reach the host. Runs inside a render
 * worker (see worker.ts), never in the server's own thread.
 *
 * Nunjucks compiles a template to JavaScript and has no sandbox of its own: from a template, `range.constructor`
 * (or `range[['constructor']]`) is the Function constructor. So templates are compiled here, in the worker's
 * realm, and the compiled code runs in a separate V8 context that holds nothing of the host — no `process`, no
 * `require`, no host object — and in which code generation from strings is disabled: reaching the Function
 * constructor there gives an `EvalError`, not code. The context's built-in prototypes are frozen, so one render
 * cannot change what another sees. Input goes in as a JSON string and output comes back as a string; no object
 * crosses between the realms. CPU time is capped by V8's own interrupt (`timeout`); memory by the worker's heap
 * limit.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import nunjucks from 'nunjucks';

/** One template of a pack: its file name and Nunjucks source. */
export interface TemplateSource {
  name: string;
  source: string;
}

/** What a template render gives back: its text, or why it failed (line/column as Nunjucks reports them). */
export type TemplateOutcome =
  | { ok: true; text: string }
  | { ok: false; phase: 'parse' | 'render'; message: string; lineno: number | null; colno: number | null };

/** The most items `range()` may produce in a template: more is a loop meant to exhaust the server. */
export const MAX_RANGE_ITEMS = 100_000;

const require = createRequire(import.meta.url);
const runtimeSource = readFileSync(require.resolve('nunjucks/browser/nunjucks-slim.js'), 'utf8');

// Set up once per context: the Nunjucks runtime (the precompiled-templates build, no compiler in it), one
// environment with Strata's options, a capped `range`, frozen built-ins and the render entry point. Strata's
// options: no HTML escaping (the output is YAML), undefined output is an error, and trim/lstrip keep `{% if %}`
// lines from leaving blank lines and stray indentation.
const BOOTSTRAP = `
'use strict';
var nunjucks = module.exports;
var templates = Object.create(null);
var env = new nunjucks.Environment(new nunjucks.PrecompiledLoader(templates), {
  autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: true, dev: true
});
// Defence in depth behind the code-free context: names that lead up prototype chains read as undefined (which
// throwOnUndefined turns into an error), whatever form the key takes (range[['constructor']] is an array key).
var blocked = Object.create(null);
Object.getOwnPropertyNames(Object.prototype).concat(['prototype']).forEach(function (n) { blocked[n] = true; });
var runtime = nunjucks.runtime;
var memberLookup = runtime.memberLookup;
var contextOrFrameLookup = runtime.contextOrFrameLookup;
runtime.memberLookup = function (obj, key) {
  return blocked[String(key)] === true ? undefined : memberLookup(obj, key);
};
runtime.contextOrFrameLookup = function (context, frame, name) {
  return blocked[String(name)] === true ? undefined : contextOrFrameLookup(context, frame, name);
};
Object.freeze(runtime);
var baseRange = env.getGlobal('range');
env.addGlobal('range', function (start, stop, step) {
  var s = stop === undefined ? 0 : start, e = stop === undefined ? start : stop, d = step || 1;
  var n = Math.ceil((e - s) / d);
  if (n > ${MAX_RANGE_ITEMS}) throw new Error('range() of ' + n + ' items is more than the ${MAX_RANGE_ITEMS} a template may make');
  return baseRange(start, stop, step);
});
[Object, Function, Array, String, Number, Boolean, Symbol, Error, TypeError, RangeError, SyntaxError, EvalError,
 ReferenceError, URIError, Map, Set, WeakMap, WeakSet, Promise, RegExp, Date, JSON, Math, Reflect, ArrayBuffer,
 Uint8Array, BigInt].forEach(function (c) {
  Object.freeze(c);
  if (c.prototype) Object.freeze(c.prototype);
});
Object.freeze(Object.getPrototypeOf(function* () {}));
Object.freeze(nunjucks);
Object.freeze(env);
globalThis.__strataRender = function (names, input) {
  var variables = JSON.parse(input);
  var out = [];
  for (var i = 0; i < names.length; i += 1) {
    try {
      out.push({ ok: true, text: env.render(names[i], variables) });
    } catch (e) {
      var cause = e && e.cause;
      out.push({
        ok: false,
        phase: 'render',
        message: String(cause ? (cause.message || cause) : (e && e.message) || e),
        lineno: typeof (e && e.lineno) === 'number' ? e.lineno : null,
        colno: typeof (e && e.colno) === 'number' ? e.colno : null,
        wrapped: !!cause
      });
      break;
    }
  }
  return JSON.stringify(out);
};
globalThis.__strataAdd = function (name, factory) { templates[name] = factory(); };
`;

// The compiler runs with the same options as the runtime: `throwOnUndefined` and the whitespace options are
// compiled into the code.
const compileEnvironment = new nunjucks.Environment(null, {
  autoescape: false,
  throwOnUndefined: true,
  trimBlocks: true,
  lstripBlocks: true,
});

// The runtime and the bootstrap run in one function whose parameters are the built-ins they use: inside a vm
// context every global lookup goes through the context's interceptors, which made renders several times slower.
const SANDBOX_GLOBALS = [
  'Object',
  'Array',
  'String',
  'Number',
  'Boolean',
  'JSON',
  'Math',
  'Error',
  'TypeError',
  'RangeError',
  'Symbol',
  'Map',
  'Set',
  'RegExp',
  'Date',
  'Promise',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
];
const SANDBOX_SOURCE = `(function (${SANDBOX_GLOBALS.join(', ')}) {
var module = { exports: {} }; var exports = module.exports; var window = this; var self = this;
${runtimeSource}
;(function () {
${BOOTSTRAP}
}).call(this);
}).call(this, ${SANDBOX_GLOBALS.join(', ')});`;

const RENDER_CALL = new vm.Script('__strataRender(JSON.parse(__names), __input)', {
  filename: 'strata-render',
});

/** A sandboxed context holding the templates loaded into it so far (by key), reused across renders. */
export class TemplateSandbox {
  readonly #context: vm.Context;
  readonly #loaded = new Set<string>();

  constructor() {
    this.#context = vm.createContext(Object.create(null), {
      name: 'strata-template-sandbox',
      codeGeneration: { strings: false, wasm: false },
      microtaskMode: 'afterEvaluate',
    });
    vm.runInContext(SANDBOX_SOURCE, this.#context, { filename: 'strata-sandbox' });
  }

  /** How many templates this context holds (the worker starts a fresh one past a limit). */
  get size(): number {
    return this.#loaded.size;
  }

  /**
   * Compiles a template (outside the context) and loads the compiled code into it under `key`; returns a
   * parse failure instead of throwing. Loading a key twice is a no-op.
   */
  load(key: string, template: TemplateSource, timeoutMs: number): TemplateOutcome | null {
    if (this.#loaded.has(key)) return null;
    let code: string;
    try {
      code = nunjucks.precompileString(template.source, {
        name: key,
        env: compileEnvironment,
        // The typings say one template; Nunjucks passes the list it compiled.
        wrapper: (compiled) =>
          (compiled as unknown as Array<{ name: string; template: string }>)
            .map((t) => `__strataAdd(${JSON.stringify(t.name)}, function () {${t.template}});`)
            .join('\n'),
      });
    } catch (error) {
      // The compiler names the place only in its message: `(name) [Line 2, Column 7]\n  unexpected token`.
      const message = error instanceof Error ? error.message : String(error);
      const at = /\[Line (\d+), Column (\d+)\]/.exec(message);
      return {
        ok: false,
        phase: 'parse',
        message,
        lineno: at ? Number(at[1]) : null,
        colno: at ? Number(at[2]) : null,
      };
    }
    vm.runInContext(code, this.#context, { filename: template.name, timeout: timeoutMs });
    this.#loaded.add(key);
    return null;
  }

  /**
   * Renders loaded templates in order with variables given as JSON text, stopping at the first that fails; returns
   * one outcome per template rendered. `timeoutMs` caps the CPU time of them all (one interrupt watchdog per call:
   * V8 starts a thread for each, so one call per pack, not per template).
   */
  renderAll(
    keys: readonly string[],
    variablesJson: string,
    timeoutMs: number,
  ): Array<TemplateOutcome & { wrapped?: boolean }> {
    this.#context.__names = JSON.stringify(keys);
    this.#context.__input = variablesJson;
    let answer: unknown;
    try {
      answer = RENDER_CALL.runInContext(this.#context, { timeout: timeoutMs });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return [
        {
          ok: false,
          phase: 'render',
          message: /timed out/i.test(message)
            ? `rendering took longer than ${timeoutMs} ms and was stopped`
            : message,
          lineno: null,
          colno: null,
        },
      ];
    } finally {
      this.#context.__input = '';
    }
    // Only a string is trusted out of the context; anything else is a broken render.
    if (typeof answer !== 'string') {
      return [
        {
          ok: false,
          phase: 'render',
          message: 'the template engine gave no text',
          lineno: null,
          colno: null,
        },
      ];
    }
    return JSON.parse(answer) as Array<TemplateOutcome & { wrapped?: boolean }>;
  }
}
