/** Test helper: edits one value in YAML text, keeping the rest (comments included). */
import YAML from 'yaml';

/** Returns `text` with the value at dotted `path` set (or deleted when `value` is undefined). */
export function editYaml(text: string, path: string, value: unknown): string {
  const doc = YAML.parseDocument(text);
  const segments = path.split('.');
  if (value === undefined) doc.deleteIn(segments);
  else doc.setIn(segments, value);
  return doc.toString();
}
