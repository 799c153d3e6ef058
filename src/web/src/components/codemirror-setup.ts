/**
 * The CodeMirror pieces every YAML editor in the console shares: line numbers, history, YAML highlighting,
 * folding-free minimal chrome, and line marks for validation errors and merge-conflict markers.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from '@codemirror/language';
import { type Extension, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import {
  Decoration,
  type DecorationSet,
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  ViewPlugin,
  type ViewUpdate,
} from '@codemirror/view';
import { CONFLICT_MARKER_TEXT } from '../values/validate.ts';

/** Sets (or clears, with null) the 1-based line marked as invalid. */
export const setErrorLine = StateEffect.define<number | null>();

const errorLineMark = Decoration.line({ class: 'cm-error-line' });
const conflictLineMark = Decoration.line({ class: 'cm-conflict-line' });

const errorLineField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes);
    for (const effect of tr.effects) {
      if (!effect.is(setErrorLine)) continue;
      if (effect.value === null || effect.value > tr.state.doc.lines) next = Decoration.none;
      else next = Decoration.set([errorLineMark.range(tr.state.doc.line(effect.value).from)]);
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

function conflictMarks(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  for (const { from, to } of view.visibleRanges) {
    for (let pos = from; pos <= to; ) {
      const line = view.state.doc.lineAt(pos);
      if (line.text.includes(CONFLICT_MARKER_TEXT)) builder.add(line.from, line.from, conflictLineMark);
      pos = line.to + 1;
    }
  }
  return builder.finish();
}

const conflictHighlighter = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = conflictMarks(view);
    }
    update(update: ViewUpdate) {
      if (update.docChanged || update.viewportChanged) this.decorations = conflictMarks(update.view);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

const theme = EditorView.theme({
  '&': { fontSize: '12.5px', backgroundColor: 'var(--surface)' },
  '.cm-content': { fontFamily: 'var(--mono)' },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--text-3)', border: 'none' },
  '.cm-error-line': { backgroundColor: 'var(--bad-bg)' },
  '.cm-conflict-line': { backgroundColor: 'var(--warn-bg)', boxShadow: 'inset 3px 0 0 var(--warn)' },
  '&.cm-focused': { outline: 'none' },
});

/** Returns the extensions of a YAML editor; `readOnly` makes it a viewer (still selectable and searchable). */
export function yamlEditorExtensions(options: { readOnly: boolean }): Extension[] {
  const base: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    drawSelection(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    yaml(),
    errorLineField,
    conflictHighlighter,
    theme,
    EditorView.lineWrapping,
  ];
  if (options.readOnly) return [...base, EditorView.editable.of(false)];
  return [
    ...base,
    history(),
    indentOnInput(),
    highlightActiveLine(),
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
  ];
}
