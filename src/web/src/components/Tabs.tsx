/** Tabs as links: each tab is a route, so tabs survive reloads and can be shared. */
import type { KeyboardEvent } from 'react';
import { href, navigate } from '../app/router.ts';

/** One tab: its label, route segments and an optional count or mark. */
export interface TabItem {
  id: string;
  label: string;
  segments: string[];
  mark?: string | number;
}

/**
 * Renders the tab bar with `active` selected. Keyboard: Tab reaches the active tab; the arrow keys, Home and End
 * move between tabs and open them (each tab is a link, so the page follows).
 */
export function Tabs(props: { items: TabItem[]; active: string }) {
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const index = props.items.findIndex((t) => t.id === props.active);
    const last = props.items.length - 1;
    const next =
      e.key === 'ArrowRight'
        ? index >= last
          ? 0
          : index + 1
        : e.key === 'ArrowLeft'
          ? index <= 0
            ? last
            : index - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? last
              : null;
    if (next === null) return;
    e.preventDefault();
    const bar = e.currentTarget;
    const target = props.items[next];
    if (!target) return;
    navigate(target.segments, undefined, true);
    // The new active tab takes the focus once rendered.
    requestAnimationFrame(() => bar.querySelector<HTMLElement>(`[data-tab="${target.id}"]`)?.focus());
  };
  return (
    <div className="tabs" role="tablist" onKeyDown={onKeyDown}>
      {props.items.map((tab) => (
        <a
          key={tab.id}
          role="tab"
          data-tab={tab.id}
          aria-selected={tab.id === props.active}
          tabIndex={tab.id === props.active ? 0 : -1}
          className={`tab${tab.id === props.active ? ' tab-active' : ''}`}
          href={href(tab.segments)}
        >
          {tab.label}
          {tab.mark !== undefined ? <span className="tab-mark">{tab.mark}</span> : null}
        </a>
      ))}
    </div>
  );
}
