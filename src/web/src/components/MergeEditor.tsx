/**
 * The review editor of a cluster update, per layer: the current configuration on the left (read-only), the
 * pending one on the right (editable), changes highlighted, unchanged stretches collapsed, and arrows that
 * copy a current chunk back into the pending side. Lines the 3-way merge marked as conflicts are highlighted
 * until the user settles them.
 */
import { MergeView } from '@codemirror/merge';
import { EditorView } from '@codemirror/view';
import { useEffect, useMemo, useRef } from 'react';
import { validateValues } from '../values/validate.ts';
import { setErrorLine, yamlEditorExtensions } from './codemirror-setup.ts';

/** Props of `MergeEditor`. */
export interface MergeEditorProps {
  /** What the cluster runs now (left). */
  current: string;
  /** What it would run (right); the caller owns it. */
  pending: string;
  onChange(pending: string): void;
  /** Names the layer for assistive technology. */
  label: string;
  readOnly?: boolean;
  /** Column headings (default: current / pending configuration). */
  headings?: [string, string];
}

/** Renders the side-by-side merge view. */
export function MergeEditor(props: MergeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const merge = useRef<MergeView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const problem = useMemo(() => validateValues(props.pending), [props.pending]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the merge view is created once per layer; edits flow out through onChange and in below.
  useEffect(() => {
    if (!host.current) return;
    const view = new MergeView({
      parent: host.current,
      a: {
        doc: props.current,
        extensions: [
          yamlEditorExtensions({ readOnly: true }),
          EditorView.contentAttributes.of({ 'aria-label': `${props.label}: current configuration` }),
        ],
      },
      b: {
        doc: props.pending,
        extensions: [
          yamlEditorExtensions({ readOnly: props.readOnly ?? false }),
          EditorView.contentAttributes.of({ 'aria-label': `${props.label}: pending configuration` }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange.current(update.state.doc.toString());
          }),
        ],
      },
      revertControls: props.readOnly ? undefined : 'a-to-b',
      highlightChanges: true,
      gutter: true,
      collapseUnchanged: { margin: 3, minSize: 6 },
    });
    merge.current = view;
    return () => {
      view.destroy();
      merge.current = null;
    };
  }, [props.label, props.current]);

  useEffect(() => {
    const b = merge.current?.b;
    if (!b) return;
    const text = b.state.doc.toString();
    if (text !== props.pending) b.dispatch({ changes: { from: 0, to: text.length, insert: props.pending } });
  }, [props.pending]);

  useEffect(() => {
    merge.current?.b.dispatch({ effects: setErrorLine.of(problem ? problem.line : null) });
  }, [problem]);

  return (
    <div className="merge-editor">
      <div className="merge-headings">
        <span>{props.headings?.[0] ?? 'Current configuration'}</span>
        <span>{props.headings?.[1] ?? 'Pending configuration'}</span>
      </div>
      <div ref={host} className="merge-host" />
      {problem ? (
        <div className="editor-problem" role="alert">
          <code className="code-chip">InvalidYaml</code> {problem.message}
        </div>
      ) : null}
    </div>
  );
}
