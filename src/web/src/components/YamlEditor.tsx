/**
 * A YAML values editor (CodeMirror 6): highlighting, undo, and validation as you type with the server's own
 * rules — the offending line is marked and the sentence shown under the editor.
 */
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { useEffect, useMemo, useRef } from 'react';
import { validateValues } from '../values/validate.ts';
import { setErrorLine, yamlEditorExtensions } from './codemirror-setup.ts';

/** Props of `YamlEditor`. */
export interface YamlEditorProps {
  value: string;
  onChange?(value: string): void;
  readOnly?: boolean;
  /** Accessible name of the editor. */
  label: string;
  minHeight?: number;
}

/** Renders the editor; with `onChange` absent or `readOnly` it is a viewer. */
export function YamlEditor(props: YamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const readOnly = props.readOnly ?? !props.onChange;
  const problem = useMemo(() => (readOnly ? null : validateValues(props.value)), [props.value, readOnly]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the view is created once per mode; value changes are dispatched below.
  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: props.value,
        extensions: [
          yamlEditorExtensions({ readOnly }),
          EditorView.contentAttributes.of({ 'aria-label': props.label }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange.current?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, [readOnly]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== props.value) {
      editor.dispatch({ changes: { from: 0, to: current.length, insert: props.value } });
    }
  }, [props.value]);

  useEffect(() => {
    view.current?.dispatch({ effects: setErrorLine.of(problem ? problem.line : null) });
  }, [problem]);

  return (
    <div className={`yaml-editor${problem ? ' yaml-editor-invalid' : ''}`}>
      <div ref={host} className="yaml-editor-host" style={{ minHeight: props.minHeight ?? 160 }} />
      {problem ? (
        <div className="editor-problem" role="alert">
          <code className="code-chip">InvalidYaml</code> {problem.message}
        </div>
      ) : null}
    </div>
  );
}
