/**
 * A virtualised list of fixed-height rows: only the rows in view (plus a few either side) are in the DOM, so
 * 10,000 clusters scroll as smoothly as 10. Arrow keys move a highlighted row and Enter opens it.
 */
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';

/** Props of `VirtualList`. */
export interface VirtualListProps<T> {
  items: readonly T[];
  /** How many rows there are in all when only some are loaded (for assistive technology); default the items'. */
  rowCount?: number;
  rowHeight: number;
  /** Renders one row; `active` is the keyboard-highlighted one. */
  renderRow(item: T, index: number, active: boolean): ReactNode;
  rowKey(item: T): string;
  /** Called when the user presses Enter on the highlighted row. */
  onOpen?(item: T): void;
  /** Called when the last rows come into view (to fetch the next page). */
  onEndReached?(): void;
  label: string;
}

const OVERSCAN = 8;

/** Renders the list in a scrolling box that fills its parent. */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, onEndReached } = props;
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(-1);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);

  useEffect(() => {
    if (onEndReached && last >= items.length - OVERSCAN && items.length > 0) onEndReached();
  }, [last, items.length, onEndReached]);

  const moveTo = useCallback(
    (index: number) => {
      const el = box.current;
      const next = Math.max(0, Math.min(items.length - 1, index));
      setActive(next);
      if (!el) return;
      const top = next * rowHeight;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + rowHeight > el.scrollTop + el.clientHeight)
        el.scrollTop = top + rowHeight - el.clientHeight;
    },
    [items.length, rowHeight],
  );

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'j') moveTo(active + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') moveTo(active - 1);
    else if (e.key === 'PageDown') moveTo(active + Math.floor(height / rowHeight));
    else if (e.key === 'PageUp') moveTo(active - Math.floor(height / rowHeight));
    else if (e.key === 'Home') moveTo(0);
    else if (e.key === 'End') moveTo(items.length - 1);
    else if (e.key === 'Enter' && active >= 0 && items[active] !== undefined) props.onOpen?.(items[active]);
    else return;
    e.preventDefault();
  };

  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div
        key={props.rowKey(item)}
        className={`vrow${i === active ? ' vrow-active' : ''}`}
        style={{ top: i * rowHeight, height: rowHeight }}
        role="row"
        tabIndex={-1}
        aria-rowindex={i + 1}
      >
        {props.renderRow(item, i, i === active)}
      </div>,
    );
  }

  return (
    <div
      ref={box}
      className="vlist"
      tabIndex={0}
      role="grid"
      aria-label={props.label}
      aria-rowcount={props.rowCount ?? items.length}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div className="vlist-inner" style={{ height: items.length * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
